/**
 * The dashboard's page and its script. The script builds every element with textContent, so
 * nothing read from disk or Redis is ever parsed as HTML; it asks the API for the runs (filtered
 * and sorted there) and a queue's state, polls them, and draws the chart spec the API builds
 * with vega-lite and vega's View.
 */

export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>inertia runs</title>
<link rel="icon" href="data:,">
<style>
body { font: 14px system-ui, sans-serif; margin: 1.5em; color: #222; }
header { display: flex; gap: 1em; align-items: baseline; flex-wrap: wrap; }
h1 { font-size: 1.3em; margin: 0; }
#filter { width: 32em; padding: 0.3em; font-family: monospace; }
#error { color: #b00020; }
#status { color: #666; }
table { border-collapse: collapse; margin-top: 1em; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; white-space: nowrap; }
th { cursor: pointer; user-select: none; background: #f6f6f6; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
tr.diverged td, tr.failed td, tr.unreadable td { color: #b00020; }
tr.running td { color: #0b57d0; }
#chart-controls { margin-top: 1.5em; }
#queue h2 { font-size: 1.1em; margin: 1.5em 0 0; }
#queue h3 { font-size: 1em; margin: 1em 0 0; }
</style>
<script src="/vega.min.js"></script>
<script src="/vega-lite.min.js"></script>
<script src="/dashboard.js" defer></script>
</head>
<body>
<header>
<h1>inertia runs</h1>
<span id="folder"></span>
</header>
<p>
<input id="filter" type="search" placeholder="filter: optimizer.kind=adam tag=baseline test/accuracy&gt;0.9 text-in-id" autocomplete="off">
<span id="status"></span>
<span id="error"></span>
</p>
<div id="table"></div>
<div id="chart-controls">
<label>metric <select id="metric"></select></label>
<label>x <select id="x"><option value="step">step</option><option value="epoch">epoch</option><option value="seconds">seconds</option></select></label>
<span>(ticked runs, or every listed run when none is ticked)</span>
</div>
<div id="chart"></div>
<section id="queue" hidden></section>
</body>
</html>
`;

export const DASHBOARD_SCRIPT = String.raw`'use strict';
(function () {
  var POLL_MS = 3000;
  var state = { filter: '', sort: '', selected: new Set(), metric: '', x: 'step', runs: [], chartKey: '', view: null };
  var filterInput = document.getElementById('filter');
  var metricSelect = document.getElementById('metric');
  var xSelect = document.getElementById('x');

  function element(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function valueOf(run, field) {
    if (field === 'id') return run.id;
    if (field === 'status') return run.status;
    if (field === 'tags') return run.tags.join(', ');
    if (field === 'note') return run.note;
    if (Object.prototype.hasOwnProperty.call(run.final, field)) return run.final[field];
    return run.config[field];
  }

  function cell(value) {
    if (typeof value === 'number') return element('td', Number.isInteger(value) ? value : value.toPrecision(4), 'number');
    return element('td', value === undefined || value === null ? '' : value);
  }

  function renderTable(body) {
    var columns = ['id', 'status'].concat(body.columns);
    var table = element('table');
    var head = element('tr');
    columns.forEach(function (column) {
      var arrow = state.sort === column ? ' \u25B2' : state.sort === '-' + column ? ' \u25BC' : '';
      var th = element('th', column + arrow);
      th.dataset.field = column;
      th.addEventListener('click', function () {
        state.sort = state.sort === column ? '-' + column : column;
        load();
      });
      head.appendChild(th);
    });
    var select = element('th', 'chart');
    head.insertBefore(select, head.firstChild);
    table.appendChild(element('thead')).appendChild(head);
    var tbody = table.appendChild(element('tbody'));
    body.runs.forEach(function (run) {
      var row = element('tr', null, run.status);
      row.dataset.id = run.id;
      var box = element('input');
      box.type = 'checkbox';
      box.checked = state.selected.has(run.id);
      box.addEventListener('change', function () {
        if (box.checked) state.selected.add(run.id);
        else state.selected.delete(run.id);
        drawChart();
      });
      row.appendChild(element('td')).appendChild(box);
      columns.forEach(function (column) {
        var td = cell(valueOf(run, column));
        if (column === 'status' && run.error) td.title = run.error;
        row.appendChild(td);
      });
      tbody.appendChild(row);
    });
    var holder = document.getElementById('table');
    holder.replaceChildren(table);
  }

  function renderMetrics(metrics) {
    if (!state.metric || metrics.indexOf(state.metric) < 0) {
      var preferred = ['validation/loss', 'test/loss', 'train/loss'].filter(function (m) { return metrics.indexOf(m) >= 0; });
      state.metric = preferred.length > 0 ? preferred[0] : metrics[0] || '';
    }
    var current = Array.prototype.map.call(metricSelect.options, function (option) { return option.value; });
    if (current.join('\n') !== metrics.join('\n')) {
      metricSelect.replaceChildren();
      metrics.forEach(function (metric) {
        var option = element('option', metric);
        option.value = metric;
        metricSelect.appendChild(option);
      });
    }
    metricSelect.value = state.metric;
  }

  function chartRuns() {
    var listed = state.runs.filter(function (run) { return run.status !== 'unreadable'; });
    var ticked = listed.filter(function (run) { return state.selected.has(run.id); });
    return ticked.length > 0 ? ticked : listed;
  }

  function drawChart() {
    var runs = chartRuns();
    var holder = document.getElementById('chart');
    var key = JSON.stringify([state.metric, state.x, runs.map(function (run) { return [run.id, run.status, run.final]; })]);
    if (key === state.chartKey) return;
    state.chartKey = key;
    if (!state.metric || runs.length === 0) {
      if (state.view) state.view.finalize();
      state.view = null;
      holder.replaceChildren(element('p', 'No run to draw.'));
      return;
    }
    var query = new URLSearchParams({ metric: state.metric, x: state.x });
    runs.forEach(function (run) { query.append('run', run.id); });
    fetch('/api/chart?' + query.toString())
      .then(function (response) { return response.json().then(function (body) { return { ok: response.ok, body: body }; }); })
      .then(function (answer) {
        if (key !== state.chartKey) return;
        if (!answer.ok) throw new Error(answer.body.error);
        var compiled = vegaLite.compile(answer.body.spec).spec;
        if (state.view) state.view.finalize();
        var target = element('div');
        holder.replaceChildren(target);
        state.view = new vega.View(vega.parse(compiled), { renderer: 'svg', container: target, hover: true });
        return state.view.runAsync();
      })
      .catch(function (error) {
        state.chartKey = '';
        holder.replaceChildren(element('p', 'Chart: ' + error.message));
      });
  }

  function queueTable(headers, rows) {
    var table = element('table');
    var head = element('tr');
    headers.forEach(function (header) { head.appendChild(element('th', header)); });
    table.appendChild(element('thead')).appendChild(head);
    var tbody = table.appendChild(element('tbody'));
    rows.forEach(function (values) {
      var row = element('tr');
      values.forEach(function (value) { row.appendChild(cell(value)); });
      tbody.appendChild(row);
    });
    return table;
  }

  function since(time) {
    return time ? new Date(time).toLocaleTimeString() : '';
  }

  function renderQueue(body) {
    var holder = document.getElementById('queue');
    if (!body || body.queue === null) {
      holder.hidden = true;
      return;
    }
    holder.hidden = false;
    var parts = [element('h2', 'Queue ' + body.queue)];
    if (body.error) parts.push(element('p', body.error, 'queue-error'));
    else if (body.sweeps.length === 0) parts.push(element('p', 'No sweep or study is registered on this queue.'));
    body.sweeps.forEach(function (sweep) {
      var section = element('div', null, 'queued-sweep');
      section.dataset.sweep = sweep.sweepId;
      section.appendChild(element('h3', sweep.sweepId + ' (inertia ' + sweep.version + ', registered ' + since(sweep.registeredAt) + ')'));
      var counts = sweep.counts;
      section.appendChild(queueTable(['waiting', 'active', 'delayed', 'failed', 'completed'],
        [[counts.waiting, counts.active, counts.delayed, counts.failed, counts.completed]]));
      if (sweep.active.length > 0) {
        section.appendChild(queueTable(['active run', 'worker', 'since', 'attempts'], sweep.active.map(function (job) {
          return [job.runId, job.worker, since(job.startedAt), job.attempts];
        })));
      }
      if (sweep.failed.length > 0) {
        section.appendChild(queueTable(['failed run', 'attempts', 'reason'], sweep.failed.map(function (job) {
          return [job.runId, job.attempts, job.reason];
        })));
      }
      if (sweep.waiting.length > 0) {
        section.appendChild(element('p', 'Waiting: ' + sweep.waiting.join(', ') + (counts.waiting > sweep.waiting.length ? ', ...' : '')));
      }
      parts.push(section);
    });
    holder.replaceChildren.apply(holder, parts);
  }

  function loadQueue() {
    return fetch('/api/queue')
      .then(function (response) { return response.json(); })
      .then(renderQueue)
      .catch(function () {});
  }

  function load() {
    var query = new URLSearchParams({ filter: state.filter, sort: state.sort });
    return fetch('/api/runs?' + query.toString())
      .then(function (response) { return response.json().then(function (body) { return { ok: response.ok, body: body }; }); })
      .then(function (answer) {
        var error = document.getElementById('error');
        if (!answer.ok) {
          error.textContent = answer.body.error;
          return;
        }
        error.textContent = '';
        var body = answer.body;
        state.runs = body.runs;
        document.getElementById('folder').textContent = body.folder;
        document.getElementById('status').textContent =
          body.runs.length + ' of ' + body.total + ' runs, updated ' + new Date().toLocaleTimeString();
        renderTable(body);
        renderMetrics(body.metrics);
        drawChart();
      })
      .catch(function (error) {
        document.getElementById('error').textContent = 'Cannot reach the server: ' + error.message;
      });
  }

  var typing = null;
  filterInput.addEventListener('input', function () {
    clearTimeout(typing);
    typing = setTimeout(function () {
      state.filter = filterInput.value;
      load();
    }, 250);
  });
  metricSelect.addEventListener('change', function () {
    state.metric = metricSelect.value;
    drawChart();
  });
  xSelect.addEventListener('change', function () {
    state.x = xSelect.value;
    drawChart();
  });
  load();
  loadQueue();
  setInterval(function () {
    load();
    loadQueue();
  }, POLL_MS);
})();
`;
