// The runs list: the checked runs make the compare page's URL (/compare/?runs=1,2).
(function () {
  const link = document.getElementById("compare-link");
  if (!link) return;
  function update() {
    const ids = Array.from(document.querySelectorAll(".compare-pick:checked")).map((b) => b.value);
    link.href = link.dataset.base + ids.join(",");
    link.setAttribute("aria-disabled", ids.length < 1 ? "true" : "false");
    document.getElementById("compare-count").textContent = String(ids.length);
  }
  document.addEventListener("change", (event) => {
    if (event.target.classList && event.target.classList.contains("compare-pick")) update();
  });
  update();
})();
