// Evaluations per second of the reference implementation (npm jsonata) on the same mappings and
// inputs as build/bench/jsonata_eval. Prints one line per mapping: "<name> <evaluations/s>".
const fs = require('fs');
const path = require('path');
const jsonata = require('jsonata');

const seconds = Number(process.argv[2] || 3);
const mappings = JSON.parse(fs.readFileSync(path.join(__dirname, 'mappings.json')));

(async () => {
  for (const [name, m] of Object.entries(mappings)) {
    const input = JSON.parse(fs.readFileSync(path.join(__dirname, m.input)));
    const expr = jsonata(m.expr);  // compiled once, as ferry does
    for (let i = 0; i < 2000; i++) await expr.evaluate(input);  // warm up the JIT
    let count = 0;
    const start = process.hrtime.bigint();
    const end = start + BigInt(Math.round(seconds * 1e9));
    while (process.hrtime.bigint() < end) {
      for (let i = 0; i < 100; i++) await expr.evaluate(input);
      count += 100;
    }
    const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
    console.log(`${name} ${Math.round(count / elapsed)}`);
  }
})();
