// Small page behaviours shared by every page: filter selects that submit on change, print buttons.
document.addEventListener("change", (event) => {
  if (event.target.matches("select[data-autosubmit]")) event.target.form.submit();
});
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) window.print();
});

// Times as every server-rendered page writes them: 24-hour clock in the server's zone (UTC), zone named.
window.smiClock = (date) => `${new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", second: "2-digit",
  hour12: false, timeZone: "UTC" }).format(date)} UTC`;
