/**
 * Minimal ambient types for the parts of jStat 1.9.6 (CommonJS, no bundled types) that src/stats uses.
 * Only what is called is declared; widen this file when a kernel needs more.
 */
declare module 'jstat' {
  interface JStatStatic {
    /** Error function erf(x) (Chebyshev fit, Numerical Recipes `erfccheb`). */
    erf(x: number): number;
    /** ln Γ(x) for x > 0 (Stirling series with upward recurrence, Zhang & Jin 1996; ~1e-15 relative). */
    loggam(x: number): number;
    normal: {
      cdf(x: number, mean: number, sd: number): number;
      inv(p: number, mean: number, sd: number): number;
    };
    studentt: {
      inv(p: number, dof: number): number;
    };
    chisquare: {
      cdf(x: number, dof: number): number;
      inv(p: number, dof: number): number;
    };
  }
  const jstatModule: JStatStatic & { jStat: JStatStatic };
  export = jstatModule;
}
