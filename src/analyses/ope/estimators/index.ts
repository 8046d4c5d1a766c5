/** The seven OPE estimators, one interface; and the slate estimators (iips, pbm), another. */
import type { Estimator } from '../types.js';
import { dm } from './dm.js';
import { drOs, type DrOsOptions } from './dr-os.js';
import { dr } from './dr.js';
import { ipw } from './ipw.js';
import { sndr } from './sndr.js';
import { snipw } from './snipw.js';
import { switchDr, type SwitchDrOptions } from './switch-dr.js';

export { DEFAULT_CONFIDENCE, defineEstimator, ESTIMATOR_NAMES, roundTermsShared, type EstimatorSpec } from './define.js';
export { dm } from './dm.js';
export { DEFAULT_SHRINKAGE_LAMBDA, drOs, type DrOsOptions } from './dr-os.js';
export { dr, type DrOptions } from './dr.js';
export { ipw, type IpwOptions } from './ipw.js';
export { sndr } from './sndr.js';
export { snipw } from './snipw.js';
export { DEFAULT_SWITCH_TAU, switchDr, type SwitchDrOptions } from './switch-dr.js';
export { defineSlateEstimator, type SlateEstimatorSpec } from './slate-define.js';
export { iips } from './iips.js';
export { pbm, type PbmOptions } from './pbm.js';

export interface StandardEstimatorOptions extends SwitchDrOptions, DrOsOptions {
  /** Weight clipping for `ipw` and `dr` (default Infinity: none). */
  clip?: number;
}

/** All seven estimators: ipw, snipw, dm, dr, sndr, switch-dr, dr-os (in that order). */
export function standardEstimators(options: StandardEstimatorOptions = {}): Estimator[] {
  const clip = options.clip ?? Number.POSITIVE_INFINITY;
  const sw: SwitchDrOptions = options.tau === undefined ? {} : { tau: options.tau };
  const os: DrOsOptions = options.lambda === undefined ? {} : { lambda: options.lambda };
  return [ipw({ clip }), snipw(), dm(), dr({ clip }), sndr(), switchDr(sw), drOs(os)];
}

/** Estimators that need no reward model: ipw, snipw. */
export function modelFreeEstimators(options: { clip?: number } = {}): Estimator[] {
  return [ipw({ clip: options.clip ?? Number.POSITIVE_INFINITY }), snipw()];
}
