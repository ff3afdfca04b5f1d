export const updated = 'src/index.ts';
