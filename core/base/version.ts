/** Engine version, recorded in every run row so traces can be matched to the engine that made them. */
export const ENGINE_VERSION = '0.1.0';
