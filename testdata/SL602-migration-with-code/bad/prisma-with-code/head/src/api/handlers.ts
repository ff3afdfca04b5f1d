export const updated = 'src/api/handlers.ts';
