// The staff console's enhancements. Every page works without this file (forms
// post, links page); with it, the sign-in link goes straight in, attendance is
// saved with one tap and no reload, and the indicator charts are drawn.
(() => {
  // Sign-in: the link's page posts itself (a link preview that fetches the page runs no script, so spends nothing).
  const signin = document.querySelector('form[data-autosubmit]');
  if (signin) {
    signin.submit();
    return;
  }

  for (const b of document.querySelectorAll('[data-print]')) {
    b.hidden = false;
    b.addEventListener('click', () => window.print());
  }

  // Attendance: one tap per person, saved at once; the counts follow.
  document.addEventListener('submit', async (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute('data-attend')) return;
    event.preventDefault();
    const submitter = event.submitter;
    const body = new URLSearchParams(new FormData(form, submitter));
    const row = form.closest('[data-booking]');
    if (row) row.setAttribute('aria-busy', 'true');
    try {
      const res = await fetch(form.action, { method: 'POST', body, headers: { accept: 'application/json' }, credentials: 'same-origin' });
      if (!res.ok) throw new Error(String(res.status));
      const data = await res.json();
      if (row) {
        row.dataset.status = data.status;
        const cell = row.querySelector('[data-status-cell]');
        if (cell) {
          cell.textContent = data.label;
          cell.className = `status-${data.status}`;
        }
        for (const b of row.querySelectorAll('button[name="attended"]')) {
          b.setAttribute('aria-pressed', String((b.value === '1') === (data.status === 'attended')));
        }
      }
      for (const [key, value] of Object.entries(data.counts || {})) {
        for (const el of document.querySelectorAll(`[data-count="${key}"]`)) el.textContent = String(value);
      }
    } catch {
      // The plain form post still works: do that instead.
      form.removeAttribute('data-attend');
      form.requestSubmit(submitter || undefined);
    } finally {
      if (row) row.removeAttribute('aria-busy');
    }
  });

  // Charts: the data sits in a JSON script block next to the canvas (no inline script under the CSP).
  const Chart = window.Chart;
  for (const canvas of document.querySelectorAll('canvas[data-chart]')) {
    const source = document.getElementById(canvas.dataset.chart || '');
    if (!Chart || !source) continue;
    const spec = JSON.parse(source.textContent || '{}');
    const colours = ['#0b6e4f', '#2563eb', '#b45309', '#7c3aed'];
    const datasets = spec.series.map((s, i) => ({
      label: s.label,
      data: s.data,
      borderColor: colours[i % colours.length],
      backgroundColor: spec.type === 'bar' ? `${colours[i % colours.length]}cc` : colours[i % colours.length],
      borderWidth: 2,
      tension: 0.2,
      spanGaps: true,
    }));
    if (typeof spec.target === 'number') {
      datasets.push({ type: 'line', label: spec.targetLabel, data: spec.labels.map(() => spec.target), borderColor: '#9a3412', borderDash: [6, 4], borderWidth: 2, pointRadius: 0, fill: false });
    }
    new Chart(canvas, {
      type: spec.type,
      data: { labels: spec.labels, datasets },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: { y: { beginAtZero: true, ...(spec.percent ? { suggestedMax: Math.max(100, spec.target || 0), ticks: { callback: (v) => `${v}%` } } : {}) } },
        plugins: { legend: { position: 'bottom' } },
      },
    });
    canvas.dataset.rendered = 'true';
  }

  // Said last: everything above is in place (tests wait for it before tapping).
  document.documentElement.dataset.enhanced = 'true';
})();
