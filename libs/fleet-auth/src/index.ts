export { loadPool, maxValiditySeconds, parsePool, PoolFileError } from './pool.loader.js';
export {
  PoolSchema,
  type Pool,
  type PoolClient,
  type PoolDocument,
  type PoolService,
  type PoolUser,
} from './pool.schema.js';
export { formatZodIssues } from './zod-issues.js';
