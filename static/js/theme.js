// Light/dark mode: follows the system until the user picks one, then remembers the choice.
(() => {
  const root = document.documentElement;
  const saved = localStorage.getItem("smi-ui-theme");
  if (saved === "light" || saved === "dark") root.dataset.theme = saved;
  document.addEventListener("click", (event) => {
    if (!event.target.closest("[data-theme-toggle]")) return;
    const dark = root.dataset.theme === "dark" ||
      (root.dataset.theme === "auto" && matchMedia("(prefers-color-scheme: dark)").matches);
    root.dataset.theme = dark ? "light" : "dark";
    localStorage.setItem("smi-ui-theme", root.dataset.theme);
  });
})();
