export const updated = 'src/orders/service.ts';
