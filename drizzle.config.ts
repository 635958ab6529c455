import { defineConfig } from 'drizzle-kit';

// Only `drizzle-kit generate` is used: migrations are SQL files in migrations/,
// applied by the bot itself at start-up (src/db/migrate.ts).
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/schema.ts',
  out: './migrations',
});
