/** Security Hub (ASFF) findings with deterministic ids, for `-o asff` and the pipeline. */
export * from './asff';
export * from './scan';
