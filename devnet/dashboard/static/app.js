// The devnet dashboard. It reads only the nodes' public JSON-RPC, through
// this server's same-origin proxy (/rpc/<node>): eth_subscribe over
// WebSocket for the heads and the logs of both layers, HTTP calls for the
// rest (rollup_*, bilayer_*, txpool_status, balances). Plain JavaScript,
// no framework, no build step, nothing loaded from elsewhere.
'use strict';

const POLL_MS = 1000; // heads, statuses of deposits and withdrawals
const SLOW_POLL_MS = 4000; // validator set, disputes, balances
const RENDER_MS = 500;
const RECENT_L1 = 64; // L1 blocks kept (block time, proposers)
const MAX_STATUS_CALLS = 20; // rollup_*Status calls per poll
const MAX_ROWS = 14; // deposits and withdrawals shown
const NEWEST_LANES = 8; // batches in their window drawn on the timeline: the newest,
const OLDEST_LANES = 6; // the oldest (the next to finalize),
const FINAL_LANES = 3; // and the newest final or rolled-back ones
const L2_LOG_SPAN = 5000; // L2 blocks searched for withdrawals on load
const BPS_SPAN_MS = 10000; // L2 blocks per second, measured over this
const COLORS = ['#4aa3ff', '#e0a33a', '#3fb27f', '#c678dd', '#e5534b', '#56b6c2', '#d19a66', '#98c379'];

const S = {
  cfg: null,
  names: new Map(), // lower-case address -> name
  color: new Map(), // lower-case validator address -> colour
  nodes: {}, // name -> {up, head, consensus, at}
  conn: { l1: null, l2: null }, // node of the live feed, null when down
  errors: new Map(), // what failed -> message
  l1: { head: 0, finalized: 0, blocks: new Map(), set: [], logHigh: 0 },
  l2: { unsafe: 0, safe: 0, finalized: 0, origin: 0, l1Head: 0, pending: null, queued: null, samples: [], verification: null, logHigh: -1 },
  batches: new Map(), // "l1Block:index" -> {index, first, last, l1Block}
  finals: new Map(), // batch index -> L1 block that finalized it
  challenges: new Map(), // "block:l2Block" -> {block, l2Block, batchIndex}
  ops: new Map(), // "l1Block/index" -> deposit or forced operation
  wds: new Map(), // nonce -> withdrawal
  disputes: null,
  balances: { l1: new Map(), l2: new Map() },
};

// ---- helpers ----

const $ = (id) => document.getElementById(id);
const num = (h) => (h == null ? null : Number(BigInt(h)));
const hex = (n) => '0x' + n.toString(16);
const word = (data, i) => BigInt('0x' + (data.slice(2 + 64 * i, 2 + 64 * (i + 1)) || '0'));
const topicAddr = (t) => '0x' + t.slice(26);
const short = (a) => (a && a.length > 12 ? a.slice(0, 6) + '…' + a.slice(-4) : a || '');
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
const nameOf = (a) => (a ? S.names.get(a.toLowerCase()) || short(a) : '');
const nodesOf = (role) => (S.cfg ? S.cfg.nodes.filter((n) => n.role === role) : []);

function eth(wei) {
  wei = BigInt(wei);
  const neg = wei < 0n;
  if (neg) wei = -wei;
  const unit = 10n ** 18n;
  const frac = (wei % unit).toString().padStart(18, '0').slice(0, 4).replace(/0+$/, '');
  return (neg ? '-' : '') + (wei / unit).toLocaleString('en-US') + (frac ? '.' + frac : '') + ' ETH';
}

// l1BlockTime is the L1 block time in seconds, measured over the recent
// blocks (timestamps are whole seconds), else the genesis's.
function l1BlockTime() {
  const ns = [...S.l1.blocks.keys()].sort((a, b) => a - b).slice(-20);
  if (ns.length >= 4) {
    const a = S.l1.blocks.get(ns[0]), b = S.l1.blocks.get(ns[ns.length - 1]);
    if (b.ts > a.ts) return (b.ts - a.ts) / (ns[ns.length - 1] - ns[0]);
  }
  return (S.cfg && S.cfg.l1BlockTimeMs ? S.cfg.l1BlockTimeMs : 1000) / 1000;
}

// blocks says "1 L1 block" or "n L1 blocks".
const blocks = (n) => `${n} L1 block${n === 1 ? '' : 's'}`;

function secs(s) {
  s = Math.max(0, Math.round(s));
  return s < 120 ? `~${s} s` : `~${Math.round(s / 60)} min`;
}

function setError(what, err) { S.errors.set(what, `${what}: ${err && err.message ? err.message : String(err)}`); }
function clearError(what) { S.errors.delete(what); }

// ---- JSON-RPC over HTTP ----

let rpcID = 0;

// batch sends calls ([method, params] pairs) to node in one request and
// returns their answers ({result} or {error}) in order.
async function batch(node, calls) {
  const body = calls.map(([method, params]) => ({ jsonrpc: '2.0', id: ++rpcID, method, params: params || [] }));
  const st = S.nodes[node] || (S.nodes[node] = {});
  const send = () => fetch('/rpc/' + node, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(8000),
  });
  try {
    // Every call the page makes reads, so one that never reached the
    // server (a connection closed under it: TypeError) is sent again once.
    const res = await send().catch((e) => { if (e instanceof TypeError) return send(); throw e; });
    if (!res.ok) throw new Error(`${node}: HTTP ${res.status} ${(await res.text()).slice(0, 200)}`);
    const out = await res.json();
    if (!Array.isArray(out)) throw new Error(`${node}: ${out.error ? out.error.message : 'not a batch answer'}`);
    st.up = true;
    st.at = Date.now();
    const byID = new Map(out.map((r) => [r.id, r]));
    return body.map((b) => byID.get(b.id) || { error: { message: 'no answer' } });
  } catch (e) {
    st.up = false;
    throw e;
  }
}

async function call(node, method, params) {
  const [r] = await batch(node, [[method, params]]);
  if (r.error) throw new Error(`${node} ${method}: ${r.error.message}`);
  return r.result;
}

// ---- live feeds: eth_subscribe over WebSocket ----

// Feed keeps one WebSocket to the first node of nodes that answers, with
// the subscriptions subs ({params, on}); after each (re)connection it
// calls opened(node) to read what the subscriptions did not see.
class Feed {
  constructor(kind, nodes, subs, opened) {
    Object.assign(this, { kind, nodes, subs, opened, n: 0, fails: 0 });
    this.connect();
  }

  connect() {
    const node = this.nodes[this.n % this.nodes.length];
    const ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/rpc/' + node);
    const pending = new Map(), handlers = new Map();
    ws.onopen = () => {
      for (const sub of this.subs) {
        const id = ++rpcID;
        pending.set(id, sub);
        ws.send(JSON.stringify({ jsonrpc: '2.0', id, method: 'eth_subscribe', params: sub.params }));
      }
    };
    ws.onmessage = (ev) => {
      let m;
      try { m = JSON.parse(ev.data); } catch { return; }
      if (m.id != null && pending.has(m.id)) {
        const sub = pending.get(m.id);
        pending.delete(m.id);
        if (m.error) { setError('feed ' + this.kind, new Error(`${node} eth_subscribe: ${m.error.message}`)); ws.close(); return; }
        handlers.set(m.result, sub.on);
        if (pending.size === 0) {
          this.fails = 0;
          S.conn[this.kind] = node;
          clearError('feed ' + this.kind);
          this.opened(node).catch((e) => setError('catch-up ' + this.kind, e));
        }
        return;
      }
      if (m.method === 'eth_subscription' && m.params) {
        const h = handlers.get(m.params.subscription);
        if (h) {
          try { h(m.params.result); } catch (e) { setError('feed ' + this.kind, e); }
        }
      }
    };
    ws.onclose = () => {
      if (S.conn[this.kind] === node) S.conn[this.kind] = null;
      setError('feed ' + this.kind, new Error(`the ${this.kind.toUpperCase()} feed (${node}) is disconnected; retrying`));
      this.n++;
      this.fails++;
      setTimeout(() => this.connect(), Math.min(5000, 250 * 2 ** Math.min(this.fails, 5)));
    };
  }
}

// ---- L1 ----

function addL1Block(n, ts, miner) {
  S.l1.blocks.set(n, { ts, miner: (miner || '').toLowerCase() });
  S.l1.head = Math.max(S.l1.head, n);
  for (const k of S.l1.blocks.keys()) if (k <= S.l1.head - RECENT_L1) S.l1.blocks.delete(k);
}

function onL1Head(h) { addL1Block(num(h.number), num(h.timestamp), h.miner); }

// catchUpL1 reads, after a (re)connection, the recent blocks and the
// rollup contract's and the bridge's logs the feed did not deliver.
async function catchUpL1(node) {
  const head = num(await call(node, 'eth_blockNumber'));
  const want = [];
  for (let n = Math.max(1, head - RECENT_L1 + 1); n <= head; n++) if (!S.l1.blocks.has(n)) want.push(n);
  if (want.length) {
    const res = await batch(node, want.map((n) => ['eth_getBlockByNumber', [hex(n), false]]));
    for (const r of res) if (r.result) onL1Head(r.result);
  }
  const w = S.cfg.challengeWindow || 30;
  const from = S.l1.logHigh > 0 ? S.l1.logHigh : Math.max(1, head - 2 * w - 16);
  const c = S.cfg.contracts;
  const logs = await call(node, 'eth_getLogs', [{ fromBlock: hex(from), toBlock: hex(head), address: [c.rollup, c.bridge] }]);
  for (const l of logs) onL1Log(l);
  S.l1.logHigh = Math.max(S.l1.logHigh, head);
}

const OP_KINDS = { Deposit: 'deposit', ForceWithdrawal: 'forced withdrawal', ForceTransfer: 'forced transfer' };

function onL1Log(l) {
  const t = S.cfg.topics, topic = l.topics[0], block = num(l.blockNumber);
  S.l1.logHigh = Math.max(S.l1.logHigh, block);
  if (topic === t.BatchAccepted) {
    const index = num(l.topics[1]);
    const key = `${block}:${index}`;
    if (!S.batches.has(key)) S.batches.set(key, { index, first: Number(word(l.data, 0)), last: Number(word(l.data, 1)), l1Block: block });
  } else if (topic === t.BatchFinalized) {
    S.finals.set(num(l.topics[1]), block);
  } else if (topic === t.Challenged) {
    const l2Block = num(l.topics[1]);
    S.challenges.set(`${block}:${l2Block}`, { block, l2Block, batchIndex: Number(word(l.data, 0)) });
    pollDisputes().catch((e) => setError('disputes', e));
  } else if (topic === t.WithdrawalPaid) {
    const w = withdrawal(num(l.topics[1]));
    Object.assign(w, { to: w.to || topicAddr(l.topics[2]), amount: w.amount || word(l.data, 0), stage: 'paid', paidL1: block });
  } else {
    const kind = Object.keys(OP_KINDS).find((k) => t[k] === topic);
    if (!kind) return;
    const l1Block = Number(word(l.data, 1)), index = Number(word(l.data, 2));
    const id = `${l1Block}/${index}`;
    if (!S.ops.has(id)) {
      S.ops.set(id, { id, l1Block, index, kind, from: topicAddr(l.topics[1]), to: topicAddr(l.topics[2]), amount: word(l.data, 0), stage: 'seen', seenAt: Date.now() });
    }
  }
}

async function pollL1() {
  const vals = nodesOf('validator');
  await Promise.allSettled(vals.map(async (v) => {
    const [h, cs] = await batch(v.name, [['eth_blockNumber'], ['bilayer_consensusState']]);
    const st = S.nodes[v.name];
    st.head = h.result ? num(h.result) : null;
    st.consensus = cs.result || null;
  }));
  const up = vals.find((v) => S.nodes[v.name] && S.nodes[v.name].up);
  if (!up) throw new Error('no validator answers');
  const [fin] = await batch(up.name, [['eth_getBlockByNumber', ['finalized', false]]]);
  if (fin.result) S.l1.finalized = num(fin.result.number);
}

async function pollValidatorSet() {
  for (const v of nodesOf('validator')) {
    if (S.nodes[v.name] && S.nodes[v.name].up === false) continue;
    const res = await call(v.name, 'bilayer_validators');
    S.l1.set = (res.validators || []).map((x) => ({ address: x.address.toLowerCase(), power: Number(x.votingPower), priority: Number(x.proposerPriority) }));
    S.l1.totalPower = Number(res.totalPower);
    return;
  }
}

// ---- L2 ----

function onL2Head(h) {
  S.l2.unsafe = Math.max(S.l2.unsafe, num(h.number));
  sampleL2();
}

function sampleL2() {
  const now = Date.now();
  S.l2.samples.push([now, S.l2.unsafe]);
  while (S.l2.samples.length > 2 && S.l2.samples[1][0] < now - BPS_SPAN_MS) S.l2.samples.shift();
}

function l2BlocksPerSecond() {
  const s = S.l2.samples;
  if (s.length < 2) return null;
  const [t0, n0] = s[0], [t1, n1] = s[s.length - 1];
  return t1 > t0 ? ((n1 - n0) * 1000) / (t1 - t0) : null;
}

async function catchUpL2(node) {
  const head = num(await call(node, 'eth_blockNumber'));
  S.l2.unsafe = Math.max(S.l2.unsafe, head);
  const from = S.l2.logHigh >= 0 ? S.l2.logHigh : Math.max(0, head - L2_LOG_SPAN);
  const logs = await call(node, 'eth_getLogs', [{ fromBlock: hex(from), toBlock: hex(head), address: [S.cfg.contracts.withdrawalQueue] }]);
  for (const l of logs) onL2Log(l);
  S.l2.logHigh = Math.max(S.l2.logHigh, head);
}

function withdrawal(nonce) {
  let w = S.wds.get(nonce);
  if (!w) S.wds.set(nonce, (w = { nonce, stage: 'initiated', seenAt: Date.now() }));
  return w;
}

function onL2Log(l) {
  if (l.topics[0] !== S.cfg.topics.WithdrawalInitiated) return;
  S.l2.logHigh = Math.max(S.l2.logHigh, num(l.blockNumber));
  const w = withdrawal(num(l.topics[1]));
  Object.assign(w, { from: topicAddr(l.topics[2]), to: topicAddr(l.topics[3]), amount: word(l.data, 0), l2Block: num(l.blockNumber) });
  if (l.removed) w.stage = 'removed';
}

async function pollL2() {
  const seq = nodesOf('sequencer')[0];
  const [ss, pool] = await batch(seq.name, [['rollup_syncStatus'], ['txpool_status']]);
  if (ss.error) throw new Error('sequencer rollup_syncStatus: ' + ss.error.message);
  const r = ss.result;
  Object.assign(S.l2, { unsafe: Math.max(S.l2.unsafe, num(r.unsafeL2.number)), safe: num(r.safeL2.number), finalized: num(r.finalizedL2.number),
    origin: num(r.unsafeL2.l1origin.number), l1Head: num(r.headL1) });
  S.nodes[seq.name].head = num(r.unsafeL2.number);
  if (pool.result) { S.l2.pending = num(pool.result.pending); S.l2.queued = num(pool.result.queued); }
  sampleL2();
  await Promise.all([pollOps(seq.name), pollWithdrawals(seq.name)]);
}

async function pollChallenger() {
  const ch = nodesOf('challenger')[0];
  const r = await call(ch.name, 'rollup_syncStatus');
  S.nodes[ch.name].head = num(r.unsafeL2.number);
  S.l2.verification = r.verification || null;
}

const DONE = new Set(['credited', 'applied', 'failed']);

async function pollOps(node) {
  const open = [...S.ops.values()].filter((o) => !DONE.has(o.stage)).sort((a, b) => a.l1Block - b.l1Block).slice(0, MAX_STATUS_CALLS);
  if (!open.length) return;
  const res = await batch(node, open.map((o) => ['rollup_depositStatus', [hex(o.l1Block), hex(o.index)]]));
  res.forEach((r, i) => {
    const o = open[i], st = r.result;
    if (!st) return;
    o.origin = num(st.l2Origin);
    if (st.status === 'applied') Object.assign(o, { stage: o.kind === 'Deposit' ? 'credited' : 'applied', l2Block: num(st.l2Block), doneAt: Date.now() });
    else if (st.status === 'failed') Object.assign(o, { stage: 'failed', reason: st.reason, l2Block: num(st.l2Block), doneAt: Date.now() });
    else if (st.status === 'pending') o.stage = 'pending';
  });
}

async function pollWithdrawals(node) {
  const open = [...S.wds.values()].filter((w) => w.stage !== 'paid' && w.stage !== 'removed').sort((a, b) => a.nonce - b.nonce).slice(0, MAX_STATUS_CALLS);
  if (!open.length) return;
  const res = await batch(node, open.map((w) => ['rollup_withdrawalStatus', [w.nonce]]));
  res.forEach((r, i) => {
    const w = open[i], st = r.result;
    if (!st) return;
    Object.assign(w, {
      stage: st.status, from: st.from, to: st.to, amount: BigInt(st.amount), l2Block: num(st.l2Block), forced: !!st.l1Operation,
      batchIndex: num(st.batchIndex), payoutL1: num(st.payoutL1Block), blocksLeft: num(st.blocksLeft),
      secondsLeft: num(st.secondsLeft), paidL1: num(st.paidL1Block), at: Date.now(),
    });
  });
}

async function pollDisputes() {
  const l2 = nodesOf('sequencer').concat(nodesOf('challenger'));
  let last;
  for (const n of l2) {
    try {
      S.disputes = await call(n.name, 'rollup_disputes', [hex(10)]);
      return;
    } catch (e) { last = e; }
  }
  if (last) throw last;
}

async function pollBalances() {
  const accts = S.cfg.accounts;
  const l1 = nodesOf('validator').find((v) => S.nodes[v.name] && S.nodes[v.name].up !== false);
  const seq = nodesOf('sequencer')[0];
  const jobs = [];
  if (l1) jobs.push(['l1', l1.name]);
  if (seq) jobs.push(['l2', seq.name]);
  await Promise.all(jobs.map(async ([layer, node]) => {
    const res = await batch(node, accts.map((a) => ['eth_getBalance', [a.address, 'latest']]));
    res.forEach((r, i) => { if (r.result) S.balances[layer].set(accts[i].address, BigInt(r.result)); });
  }));
}

// every runs fn now and then every ms, never two at once, and shows its
// error until it succeeds again.
function every(ms, what, fn) {
  let busy = false;
  const tick = async () => {
    if (busy) return;
    busy = true;
    try { await fn(); clearError(what); } catch (e) { setError(what, e); } finally { busy = false; }
  };
  tick();
  setInterval(tick, ms);
}

// ---- rendering ----

function text(id, v) {
  const el = $(id);
  const s = String(v);
  if (el && el.textContent !== s) el.textContent = s;
}

function html(id, v) {
  const el = $(id);
  if (el && el.dataset.html !== v) { el.innerHTML = v; el.dataset.html = v; }
}

function render() {
  if (!S.cfg) return;
  text('clock', new Date().toLocaleTimeString());
  $('conn-l1').className = 'dot ' + (S.conn.l1 ? 'up' : 'down');
  $('conn-l2').className = 'dot ' + (S.conn.l2 || !nodesOf('sequencer').length ? 'up' : 'down');
  const errs = [...S.errors.values()];
  $('error').hidden = errs.length === 0;
  text('error', errs.join(' · '));
  renderL1();
  renderL2();
  renderTimeline();
  renderOps();
  renderWithdrawals();
  renderDisputes();
  renderEndpoints();
  renderAccounts();
}

function renderL1() {
  const head = S.l1.head;
  text('l1-height', head || '–');
  text('l1-blocktime', head ? l1BlockTime().toFixed(2) + ' s' : '–');
  text('l1-finalized', S.l1.finalized || '–');
  const vals = nodesOf('validator');
  const voting = vals.filter((v) => S.nodes[v.name] && S.nodes[v.name].up && S.nodes[v.name].head >= head - 1).length;
  text('l1-voting', `${voting}/${vals.length}`);
  const headMiner = S.l1.blocks.has(head) ? S.l1.blocks.get(head).miner : '';
  const proposed = new Map();
  for (const b of S.l1.blocks.values()) proposed.set(b.miner, (proposed.get(b.miner) || 0) + 1);
  const addrs = S.l1.set.map((v) => v.address);
  for (const v of vals) if (v.validator && !addrs.includes(v.validator.toLowerCase())) addrs.push(v.validator.toLowerCase());
  const nameOfValidator = (a) => { const n = vals.find((v) => (v.validator || '').toLowerCase() === a); return n ? n.name : '~' + a; };
  addrs.sort((a, b) => nameOfValidator(a).localeCompare(nameOfValidator(b), 'en', { numeric: true }));
  const rows = addrs.map((a) => {
    const inSet = S.l1.set.find((v) => v.address === a);
    const node = vals.find((v) => (v.validator || '').toLowerCase() === a);
    const st = node ? S.nodes[node.name] || {} : {};
    const cs = st.consensus;
    const dot = !node ? '' : st.up ? (st.head >= head - 1 ? 'up' : 'lag') : st.up === false ? 'down' : '';
    return `<tr class="${a === headMiner ? 'proposed' : ''}" data-validator="${esc(a)}">
      <td><span class="proposer" style="background:${S.color.get(a) || 'var(--muted)'}"></span></td>
      <td><span class="dot ${dot}"></span>${esc(node ? node.name : nameOf(a))}${a === headMiner ? ' <small>proposed #' + head + '</small>' : ''}</td>
      <td class="mono">${esc(short(a))}</td>
      <td class="num">${inSet ? esc(inSet.power.toLocaleString('en-US')) + ' ETH' : '<small>not in the set</small>'}</td>
      <td class="num">${st.head != null ? st.head : '–'}</td>
      <td class="mono">${cs ? esc(`h${cs.height} r${cs.round} ${cs.step}`) : '–'}</td>
      <td class="num">${proposed.get(a) || 0}</td></tr>`;
  });
  html('validators', rows.join('') || '<tr class="empty"><td colspan="7">reading bilayer_validators…</td></tr>');
  text('l1-finality', `Blocks are final once committed (BFT: 2/3 of the stake signed them), so "finalized" is the head. ` +
    `Stake is voting power: ${S.l1.totalPower ? S.l1.totalPower.toLocaleString('en-US') + ' ETH in the set; ' : ''}` +
    `"proposed" counts the last ${Math.min(RECENT_L1, S.l1.blocks.size)} blocks.`);
}

function renderL2() {
  const l2 = S.l2;
  if (!nodesOf('sequencer').length) { text('l2-origin', 'This devnet runs no L2 (--l1-only).'); return; }
  text('l2-unsafe', l2.unsafe || '–');
  text('l2-safe', l2.unsafe ? l2.safe : '–');
  text('l2-finalized', l2.unsafe ? l2.finalized : '–');
  const bps = l2BlocksPerSecond();
  text('l2-bps', bps == null ? '–' : bps.toFixed(1));
  text('l2-pending', l2.pending == null ? '–' : l2.pending + (l2.queued ? ` (+${l2.queued})` : ''));
  const lo = Math.max(0, l2.finalized - (l2.unsafe - l2.finalized) / 2), span = Math.max(1, l2.unsafe - lo);
  $('l2-seg-final').style.width = ((100 * (l2.finalized - lo)) / span).toFixed(2) + '%';
  $('l2-seg-safe').style.width = ((100 * (l2.safe - l2.finalized)) / span).toFixed(2) + '%';
  $('l2-seg-unsafe').style.width = ((100 * (l2.unsafe - l2.safe)) / span).toFixed(2) + '%';
  if (l2.unsafe) {
    text('l2-origin', `The unsafe head's L1 origin is L1 block ${l2.origin} (the sequencer has seen L1 block ${l2.l1Head}); ` +
      `${l2.unsafe - l2.safe} blocks wait for their batch, ${l2.safe - l2.finalized} for the challenge window.`);
  }
  const v = l2.verification;
  if (!nodesOf('challenger').length) text('l2-challenger', 'no challenger');
  else if (!v) text('l2-challenger', 'challenger: –');
  else if (v.firstDisagreement) {
    const d = v.firstDisagreement;
    text('l2-challenger', `challenger: DISAGREES with the output of L2 block ${num(d.number)} (batch ${num(d.batchIndex)}: ${(d.fields || []).join(', ')}); it proves it wrong on the L1`);
  } else text('l2-challenger', `challenger: derived the L2 from the L1 alone and agrees with every posted output up to L2 block ${num(v.agreed)}`);
}

// batchState is "final" (with finalL1, the L1 block that finalized it),
// "rolled-back" (with at, the L1 block of the challenge) or "window" (with
// cut, the L2 block a challenge cut the batch at, if any).
function batchState(b) {
  const f = S.finals.get(b.index);
  if (f != null && f > b.l1Block) return { state: 'final', finalL1: f };
  let cut = null;
  for (const c of S.challenges.values()) {
    if (c.block < b.l1Block) continue;
    if (b.index > c.batchIndex || (b.index === c.batchIndex && b.first >= c.l2Block)) return { state: 'rolled-back', at: c.block };
    if (b.index === c.batchIndex) cut = c.l2Block;
  }
  return { state: 'window', cut };
}

function renderTimeline() {
  const head = S.l1.head;
  if (!head) return;
  const w = S.cfg.challengeWindow || 30, bt = l1BlockTime();
  const past = w + 6, future = Math.min(w, 200);
  const start = Math.max(1, head - past + 1), end = head + future, span = end - start + 1;
  const x = (n) => ((100 * (n - start)) / span).toFixed(3) + '%';
  const cell = (100 / span).toFixed(3) + '%';
  const carried = new Set([...S.batches.values()].map((b) => b.l1Block));
  const opsAt = new Set([...S.ops.values()].map((o) => o.l1Block));
  let strip = '';
  for (let n = start; n <= end; n++) {
    const b = S.l1.blocks.get(n);
    const cls = n > head ? 'future' : carried.has(n) ? 'carried' : '';
    const colour = b ? S.color.get(b.miner) || 'var(--muted)' : 'var(--line)';
    const title = n > head ? `L1 block ${n} (to come)` : `L1 block ${n}${b ? ', proposed by ' + nameOf(b.miner) : ''}${carried.has(n) ? ', carried a batch' : ''}${opsAt.has(n) ? ', a deposit' : ''}`;
    strip += `<div class="tl-block ${cls}" title="${esc(title)}" style="left:${x(n)};width:calc(${cell} - 2px);background:${colour}"></div>`;
    if (n % 5 === 0 && (n < head - 1 || n > head + 6)) strip += `<div class="tl-tick" style="left:calc(${x(n)} + ${cell} / 2)">${n}</div>`;
  }
  const now = `<div class="tl-now" style="left:${x(head + 1)}"><span>now: L1 ${head}</span></div>`;
  const shown = [...S.batches.values()]
    .filter((b) => b.l1Block + w >= start)
    .sort((a, b) => b.l1Block - a.l1Block || b.index - a.index)
    .map((b) => Object.assign({ b }, batchState(b)));
  const open = shown.filter((x) => x.state === 'window'), closed = shown.filter((x) => x.state !== 'window');
  let hidden = [];
  if (open.length > NEWEST_LANES + OLDEST_LANES) hidden = open.splice(NEWEST_LANES, open.length - NEWEST_LANES - OLDEST_LANES);
  const lanes = open.concat(closed.slice(0, FINAL_LANES))
    .map(({ b, state, finalL1, cut, at }) => {
      const elapsed = Math.min(1, Math.max(0, (head - b.l1Block) / w));
      const endBlock = state === 'final' ? finalL1 : state === 'rolled-back' ? at : b.l1Block + w;
      const fill = state === 'window' ? elapsed : 1;
      const left = Math.max(0, b.l1Block + w - head);
      let note;
      if (state === 'final') note = `✓ final in L1 ${finalL1}`;
      else if (state === 'rolled-back') note = `✗ rolled back by a fraud proof in L1 ${at}`;
      else if (left === 0) note = 'window over: finalizing';
      else note = `${blocks(left)} · ${secs(left * bt)} left`;
      const last = cut != null ? cut - 1 : b.last;
      const label = `batch ${b.index} · L2 ${b.first}${last !== b.first ? '–' + last : ''}${cut != null ? ' (cut)' : ''}`;
      return `<div class="tl-lane batch" data-batch="${b.index}" data-l1-block="${b.l1Block}" data-state="${state}" data-left="${left}"
        title="${esc(`batch ${b.index}: L2 blocks ${b.first}–${b.last}, accepted in L1 block ${b.l1Block}; final after L1 block ${b.l1Block + w}`)}">
        <span class="tl-label">${esc(label)}</span>
        <div class="window" style="left:${x(Math.max(start, b.l1Block))};width:calc(${x(Math.min(end + 1, endBlock + 1))} - ${x(Math.max(start, b.l1Block))})">
          <div class="window-fill" style="width:${(100 * fill).toFixed(1)}%"></div></div>
        <span class="left" style="left:${x(Math.max(start, b.l1Block))}">${esc(note)}</span></div>`;
    });
  if (hidden.length) {
    const more = `<div class="tl-lane tl-more"><span class="tl-label">… ${hidden.length} more</span>` +
      `<span class="left" style="left:${x(hidden[hidden.length - 1].b.l1Block)}">batches ${hidden[hidden.length - 1].b.index}–${hidden[0].b.index}, in their window</span></div>`;
    lanes.splice(NEWEST_LANES, 0, more);
  }
  const inWindow = [...S.batches.values()].filter((b) => batchState(b).state === 'window').length;
  text('timeline-note', `challenge window W = ${w} L1 blocks (${secs(w * bt)}); ${inWindow} batches in their window · a bar starts at the L1 block that carried the batch, filled = elapsed, hatched = left`);
  html('timeline', `<div class="tl-blocks"><span class="tl-label">L1 blocks</span>${strip}${now}</div>` +
    (lanes.join('') || '<p class="note">no batch posted in this span yet</p>'));
}

function stage(s, label) { return `<span class="stage ${esc(s)}">${esc(label || s)}</span>`; }

function renderOps() {
  const bt = l1BlockTime();
  const all = [...S.ops.values()];
  const open = all.filter((o) => !DONE.has(o.stage)).sort((a, b) => b.l1Block - a.l1Block || b.index - a.index);
  const done = all.filter((o) => DONE.has(o.stage)).sort((a, b) => b.l1Block - a.l1Block || b.index - a.index);
  const rows = open.concat(done).slice(0, MAX_ROWS).map((o) => {
    let where, left = '–';
    switch (o.stage) {
      case 'credited': case 'applied': where = `${o.stage} in L2 block ${o.l2Block}`; break;
      case 'failed': where = `failed in L2 block ${o.l2Block}: ${o.reason || ''}`; break;
      case 'pending': {
        const n = Math.max(0, o.l1Block - (o.origin || 0));
        where = `pending: the L2 origin (L1 ${o.origin}) must reach L1 ${o.l1Block}`;
        left = n ? `${blocks(n)} · ${secs(n * bt)}` : 'next L2 block';
        break;
      }
      default: where = `seen in L1 block ${o.l1Block}`; left = 'a few seconds';
    }
    const label = o.stage === 'seen' ? 'on the L1' : o.stage;
    return `<tr data-op="${esc(o.id)}" data-stage="${esc(o.stage)}" title="${esc(where)}"><td class="mono">${esc(o.id)}</td><td>${esc(OP_KINDS[o.kind])}</td>
      <td>${esc(nameOf(o.from))} → ${esc(nameOf(o.to))}</td><td class="num">${esc(eth(o.amount))}</td>
      <td>${stage(o.stage, label)} <small>${esc(o.l2Block != null ? 'L2 ' + o.l2Block : 'L1 ' + o.l1Block)}</small></td><td class="num">${esc(left)}</td></tr>`;
  });
  html('deposits', rows.join('') || '<tr class="empty"><td colspan="6">no deposit yet: wallet --dev-account 0 deposit --amount 2</td></tr>');
}

function renderWithdrawals() {
  const all = [...S.wds.values()];
  const open = all.filter((w) => w.stage !== 'paid').sort((a, b) => b.nonce - a.nonce);
  const paid = all.filter((w) => w.stage === 'paid').sort((a, b) => b.nonce - a.nonce);
  const rows = open.concat(paid).slice(0, MAX_ROWS).map((w) => {
    let left = '–';
    if (w.stage === 'paid') left = w.paidL1 != null ? `paid in L1 ${w.paidL1}` : 'paid';
    else if (w.secondsLeft != null) {
      const ago = (Date.now() - (w.at || Date.now())) / 1000;
      left = `${blocks(w.blocksLeft)} · ${secs(w.secondsLeft - ago)}${w.stage === 'initiated' ? ' +' : ''}`;
    }
    const detail = w.batchIndex != null ? `batch ${w.batchIndex}` : w.l2Block != null ? `L2 ${w.l2Block}` : '';
    return `<tr data-withdrawal="${w.nonce}" data-stage="${esc(w.stage)}"><td class="mono">${w.nonce}${w.forced ? ' <small>forced</small>' : ''}</td>
      <td>${esc(nameOf(w.from))} → ${esc(nameOf(w.to))}</td><td class="num">${w.amount != null ? esc(eth(w.amount)) : '–'}</td>
      <td>${stage(w.stage, w.stage === 'removed' ? 'rolled back' : w.stage)} <small>${esc(detail)}</small></td><td class="num">${esc(left)}</td></tr>`;
  });
  html('withdrawals', rows.join('') || '<tr class="empty"><td colspan="5">no withdrawal yet: wallet --dev-account 0 withdraw --amount 1</td></tr>');
}

function renderDisputes() {
  const ds = S.disputes;
  if (ds == null) { html('disputes', '<p class="note">reading rollup_disputes…</p>'); return; }
  if (!ds.length) {
    html('disputes', '<p class="note">No dispute: every posted output stands. Start a devnet with --dev.bad-output-at 10 to watch the challenger prove a wrong output in one L1 transaction.</p>');
    return;
  }
  html('disputes', ds.map((d) => {
    const b = d.bond;
    const verdict = d.verdict === 'outputWrong' ? 'the posted output was proven wrong' : 'the challenge was refused';
    const flow = b && b.slashed ? `<div class="flow">
        <span class="box slashed">${esc(eth(b.slashed))} slashed from ${esc(nameOf(b.sequencer))}</span><span class="arrow">→</span>
        <span class="box reward">${esc(eth(b.reward))} to the challenger ${esc(nameOf(d.challenger))}</span><span class="arrow">+</span>
        <span class="box burned">${esc(eth(b.burned))} burned</span></div>` : '';
    const tx = d.challengeTx ? `challenge in L1 tx <code>${esc(short(d.challengeTx.hash))}</code> (L1 block ${num(d.challengeTx.l1Block)})` : '';
    return `<div class="dispute ${esc(d.verdict)}" data-dispute="${d.dispute != null ? num(d.dispute) : ''}">
      <h3>${d.dispute != null ? 'Dispute ' + num(d.dispute) + ': ' : ''}L2 block ${num(d.l2Block)}${d.batchIndex != null ? ' (batch ' + num(d.batchIndex) + ')' : ''} — ${esc(verdict)}</h3>
      <div>${esc(d.explanation || '')}${d.reason ? ' (' + esc(d.reason) + ')' : ''}</div>
      ${d.differs && d.differs.length ? `<div class="note">differs: ${esc(d.differs.join(', '))}</div>` : ''}
      ${flow}<div class="note">${tx}</div></div>`;
  }).join(''));
}

function renderEndpoints() {
  const rows = S.cfg.nodes.map((n) => {
    const st = S.nodes[n.name] || {};
    const live = S.conn.l1 === n.name || S.conn.l2 === n.name;
    const dot = st.up ? 'up' : st.up === false ? 'down' : '';
    return `<tr data-node="${esc(n.name)}"><td><span class="dot ${dot}"></span></td><td>${esc(n.name)} <small>${esc(n.role)}${live ? ' · live feed' : ''}</small></td>
      <td class="mono" title="${esc(n.ws || '')}">${esc(n.rpc)}</td><td class="mono">${esc(n.metrics || '')}</td></tr>`;
  });
  html('endpoints', rows.join(''));
}

function renderAccounts() {
  const rows = S.cfg.accounts.map((a) => {
    const l1 = S.balances.l1.get(a.address), l2 = S.balances.l2.get(a.address);
    return `<tr><td class="mono">${a.index}</td><td class="mono">${esc(a.address)}</td>
      <td class="num">${l1 != null ? esc(eth(l1)) : '–'}</td><td class="num">${l2 != null ? esc(eth(l2)) : '–'}</td></tr>`;
  });
  html('accounts', rows.join(''));
}

// renderStatic fills what does not change: chain ids, keys, data dir.
function renderStatic() {
  const c = S.cfg;
  text('chains', `L1 chain id ${c.l1ChainId}` + (c.l2ChainId ? ` · L2 chain id ${c.l2ChainId}` : '') +
    (c.sequencerBond ? ` · sequencer bond ${eth(c.sequencerBond)}` : ''));
  $('keys').textContent = c.accounts.map((a) => `(${a.index}) ${a.privateKey}`).join('\n');
  text('datadir', c.datadir ? `data directory ${c.datadir} (endpoints.json lists every node)` : '');
}

async function main() {
  const res = await fetch('/api/config', { signal: AbortSignal.timeout(8000) });
  if (!res.ok) throw new Error('/api/config: HTTP ' + res.status);
  S.cfg = await res.json();
  const c = S.cfg;
  nodesOf('validator').forEach((v, i) => {
    if (!v.validator) return;
    S.names.set(v.validator.toLowerCase(), v.name);
    S.color.set(v.validator.toLowerCase(), COLORS[i % COLORS.length]);
  });
  for (const a of c.accounts) if (!S.names.has(a.address.toLowerCase())) S.names.set(a.address.toLowerCase(), 'account ' + a.index);
  for (const n of nodesOf('sequencer')) if (n.address) S.names.set(n.address.toLowerCase(), 'the sequencer');
  for (const n of c.nodes) S.nodes[n.name] = {};
  renderStatic();
  const c2 = c.contracts;
  new Feed('l1', nodesOf('validator').map((v) => v.name), [
    { params: ['newHeads'], on: onL1Head },
    { params: ['logs', { address: [c2.rollup, c2.bridge] }], on: onL1Log },
  ], catchUpL1);
  every(POLL_MS, 'validators', pollL1);
  every(SLOW_POLL_MS, 'validator set', pollValidatorSet);
  every(SLOW_POLL_MS, 'balances', pollBalances);
  const seq = nodesOf('sequencer')[0];
  if (seq) {
    new Feed('l2', [seq.name], [
      { params: ['newHeads'], on: onL2Head },
      { params: ['logs', { address: [c2.withdrawalQueue] }], on: onL2Log },
    ], catchUpL2);
    every(POLL_MS, 'sequencer', pollL2);
    every(SLOW_POLL_MS, 'disputes', pollDisputes);
  }
  if (nodesOf('challenger').length) every(POLL_MS, 'challenger', pollChallenger);
  render();
  setInterval(render, RENDER_MS);
}

main().catch((e) => {
  $('error').hidden = false;
  $('error').textContent = 'dashboard: ' + (e && e.message ? e.message : e);
});
