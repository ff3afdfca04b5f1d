export const updated = 'src/api/routes.ts';
