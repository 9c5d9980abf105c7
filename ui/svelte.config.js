// Read by the Vite plugin and by svelte-check. Runes everywhere: no legacy reactivity.
export default {
  compilerOptions: { runes: true },
};
