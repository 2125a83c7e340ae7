import { readFileSync } from "node:fs";
const p = JSON.parse(readFileSync("/tmp/worker.cpuprofile", "utf8"));
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map(); for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const selfMs = new Map(); p.samples.forEach((s, i) => selfMs.set(s, (selfMs.get(s) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000));
const key = (n) => `${n.callFrame.functionName || "(anon)"}:${n.callFrame.lineNumber}`;
const incl = new Map();
for (const [id, ms] of selfMs) { const seen = new Set(); for (let x = id; x !== undefined; x = parent.get(x)) { const k = key(byId.get(x)); if (seen.has(k)) continue; seen.add(k); incl.set(k, (incl.get(k) ?? 0) + ms); } }
for (const [k, v] of [...incl.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(process.argv[2] ?? 45))) console.log(v.toFixed(0).padStart(6), k);
// who calls validateObject
const target = process.argv[3] ?? "validateObject";
const callers = new Map();
for (const [id, ms] of selfMs) { const n = byId.get(id); if (n.callFrame.functionName !== target) continue; const chain = []; for (let x = parent.get(id); x !== undefined && chain.length < 6; x = parent.get(x)) chain.push(key(byId.get(x))); const c = chain.join(" < "); callers.set(c, (callers.get(c) ?? 0) + ms); }
for (const [k, v] of [...callers.entries()].sort((a, b) => b[1] - a[1]).slice(0, 6)) console.log("CALLER", v.toFixed(0), k);
