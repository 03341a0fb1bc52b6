/** asl-validator 4 ships no typings: the one function the tests call. */
declare module 'asl-validator' {
  export interface AslValidationResult {
    isValid: boolean;
    errors: unknown[];
  }
  export default function aslValidator(
    definition: unknown,
    options?: Record<string, unknown>,
  ): AslValidationResult;
}
