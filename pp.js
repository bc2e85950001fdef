const { spawn } = require('child_process');
const mode = process.argv[2];
if (mode === 'peer') {
  const p = require('polysock');
  const s = p.socket(); s.bind(['127.0.0.1', 0]); s.listen(); console.log(s.getsockname()[1]);
  const [c] = s.accept(); c.setsockopt(p.IPPROTO_TCP, p.TCP_NODELAY, 1);
  for (;;) { const d = c.recv(64); if (!d.length) break; c.sendall(d); }
  return;
}
const peer = spawn(process.execPath, [__filename, 'peer'], { stdio: ['ignore', 'pipe', 'inherit'] });
peer.stdout.once('data', async (d) => {
  const port = Number(String(d).trim());
  const N = 20000;
  if (mode === 'net') {
    const net = require('net'); const s = net.connect({port, host:'127.0.0.1', noDelay: true});
    s.on('connect', () => { let i = 0; const t0 = process.hrtime.bigint(); s.on('data', () => { if (++i < N) s.write('x'); else { console.log('net us/rt', Number(process.hrtime.bigint()-t0)/1e3/N); s.destroy(); } }); s.write('x'); });
    return;
  }
  const pr = require('polysock/promises');
  const s = await pr.socket(); await s.setsockopt(pr.IPPROTO_TCP, pr.TCP_NODELAY, 1); await s.connect(['127.0.0.1', port]);
  const one = Buffer.from('x');
  for (let i = 0; i < 1000; i++) { await s.send(one); await s.recv(1); }
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) { await s.send(one); await s.recv(1); }
  console.log('promises us/rt', Number(process.hrtime.bigint()-t0)/1e3/N);
  await s.close();
});
