// Svelte 5 compiler options for the renderer (runes mode everywhere).
export default {
  compilerOptions: { runes: true },
};
