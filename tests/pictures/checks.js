// Measures what a reader sees, in the page it is evaluated in: every pair of visible text elements
// whose boxes overlap, and per chart its ticks, legend entries and series. Returns one object.
(() => {
  const visible = (e) => {
    const r = e.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(e).visibility !== 'hidden' && !e.closest('[hidden]');
  };
  const texts = Array.from(document.querySelectorAll('text')).filter(visible);
  const boxes = texts.map((e) => e.getBoundingClientRect());
  const overlaps = [];
  const slack = 0.5;  // pixels of anti-aliasing that touching boxes may share
  for (let i = 0; i < boxes.length; i++)
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i], b = boxes[j];
      if (a.left < b.right - slack && b.left < a.right - slack && a.top < b.bottom - slack && b.top < a.bottom - slack)
        overlaps.push([texts[i].textContent, texts[j].textContent]);
    }
  const charts = Array.from(document.querySelectorAll('g.chart')).map((g) => {
    const legend = new Set(Array.from(g.querySelectorAll('.legend-entry')).map((e) => e.dataset.series));
    const series = new Set(Array.from(g.querySelectorAll('.plot-area [data-series]')).map((e) => e.dataset.series));
    return { name: g.dataset.chart, ticks: g.querySelectorAll('.tick').length,
             titles: g.querySelectorAll('.axis-title').length, legend: [...legend].sort(), series: [...series].sort() };
  });
  const outside = texts.filter((e) => {
    const svg = e.ownerSVGElement; if (!svg) return false;
    const r = e.getBoundingClientRect(), s = svg.getBoundingClientRect();
    return r.left < s.left - 0.5 || r.right > s.right + 0.5 || r.top < s.top - 0.5 || r.bottom > s.bottom + 0.5;
  }).map((e) => e.textContent);
  return { texts: texts.length, overlaps, charts, outside };
})()
