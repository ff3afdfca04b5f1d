export const updated = 'src/orders/repository.ts';
