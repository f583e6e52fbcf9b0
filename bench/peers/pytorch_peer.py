"""PyTorch peer for weft's benchmark suite (bench/peers/pytorch.ts spawns it).

Reads one JSON job from argv[1] (or stdin) and writes JSON lines to stdout; everything else goes
to stderr. Two modes:

  rate     {mode, architecture, batch, threads, repeats, warmupMs, minRepeatMs}
           -> {samplesPerSec: [one rate per repeat], params, torch, threads, blas}
  fashion  {mode, dataDir, architecture, batch, epochs, threads, seed, target?}
           -> {epoch, trainSeconds, wallSeconds, testAccuracy, loss} after each epoch, then
              {done: true, params, torch, threads, blas}

With `exitWithParent: true` in the job it exits when its stdin closes (see exit_with_parent).

The model is bench/results.ts's `Architecture` built as Keras builds it, so the comparison with
weft and tfjs-layers is like for like: glorot-uniform kernels and zero biases, Embedding weights
uniform in [-0.05, 0.05], Conv2d (valid, stride 1) + ReLU + MaxPool2d stages then Flatten and
Dropout for an image input, Dense-relu layers each followed by Dropout, a Linear to `classes`
logits with nn.CrossEntropyLoss (softmax + cross-entropy in one op), Adam with Keras's defaults.
Images are NCHW here, PyTorch's native layout (weft and Keras are channels-last): the flattened
features come out in another order, which permutes the Linear's inputs and changes nothing else.

Written for torch >= 1.13 (Debian bookworm's python3-torch) and runs unchanged on 2.x. numpy is
not needed: the IDX files are read with torch.frombuffer.
"""
import gzip
import json
import math
import os
import re
import sys
import threading
import time


def log(*args):
    print('pytorch_peer:', *args, file=sys.stderr, flush=True)


def emit(record):
    print(json.dumps(record), flush=True)


def need(job, key):
    if key not in job:
        sys.exit(f'pytorch_peer: the job has no `{key}` (mode {job.get("mode")!r})')
    return job[key]


def limit_threads(threads):
    """Caps every thread pool torch may use at `threads`, before torch is imported.

    torch.set_num_threads sets OpenMP's and MKL's pools but not OpenBLAS's: Debian's torch calls
    the system BLAS (libopenblas0-pthread, its own pthread pool sized to all cores), so a
    one-thread run would quietly use every core in its matmuls. OpenBLAS reads the variable once,
    when it is loaded, hence before the import.

    OMP_WAIT_POLICY is left to the environment: torch's default (libgomp's threads spin after
    each parallel region) is what users get and is fastest on idle cores, but on a small, busy
    machine two spinning threads can run 5-10x slower than one (measured on a shared 2-vCPU VM);
    OMP_WAIT_POLICY=PASSIVE in the caller's environment avoids that.
    """
    for var in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'):
        os.environ[var] = str(threads)


def exit_with_parent():
    """Exits when stdin reaches EOF: the Node side holds the pipe's other end and never writes,
    so EOF means it closed it or died. Without this, a killed or crashed benchmark would leave
    the child training for minutes on cores the next measurement needs."""
    def watch():
        # os.read on the raw fd: a daemon thread blocked in sys.stdin's buffered reader holds its
        # lock, and the interpreter aborts at shutdown when it cannot take that lock.
        while os.read(0, 4096):
            pass
        os._exit(3)  # no log: stderr is the same dead parent's pipe, and writing to it would raise
    threading.Thread(target=watch, daemon=True).start()


def blas_info(torch):
    """Best effort: the BLAS torch was built for and, on Linux, the BLAS libraries loaded now
    (Debian's build says BLAS_INFO=generic and the alternatives system picks the library)."""
    config = torch.__config__.show()
    parts = re.findall(r'BLAS_INFO=\w+', config)
    if re.search(r'USE_MKL=ON', config):
        parts.append('USE_MKL=ON')
    try:
        with open('/proc/self/maps') as maps:
            libs = {line.split()[-1] for line in maps if '/' in line}
        keep = sorted({os.path.join(os.path.basename(os.path.dirname(p)), os.path.basename(p))
                       for p in libs if any(k in os.path.basename(p).lower() for k in ('blas', 'mkl', 'blis'))})
        if keep:
            parts.append('loaded ' + ' '.join(keep))
    except OSError:
        pass  # not Linux: BLAS_INFO alone
    return '; '.join(parts) or 'unknown'


def build_model(torch, arch):
    nn = torch.nn
    layers = []
    inp = arch['input']
    if inp['kind'] == 'features':
        width = inp['size']
    elif inp['kind'] == 'tokens':
        embedding = nn.Embedding(inp['vocab'], inp['embed'])
        nn.init.uniform_(embedding.weight, -0.05, 0.05)
        layers += [embedding, nn.Flatten()]
        width = inp['length'] * inp['embed']
    elif inp['kind'] == 'image':
        channels, height, width_px = inp['channels'], inp['height'], inp['width']
        for stage in inp['conv']:
            k = stage['kernel']
            conv = nn.Conv2d(channels, stage['filters'], k)  # valid padding, stride 1, as Keras's default
            # Keras's glorot_uniform for a conv kernel: fan_in = k·k·in, fan_out = k·k·out, which is
            # what xavier_uniform_ computes from torch's (out, in, k, k) weight.
            nn.init.xavier_uniform_(conv.weight)
            nn.init.zeros_(conv.bias)
            layers += [conv, nn.ReLU()]
            channels, height, width_px = stage['filters'], height - k + 1, width_px - k + 1
            if stage['pool'] > 1:
                layers.append(nn.MaxPool2d(stage['pool']))  # stride = window, floor: Keras's valid pooling
                height, width_px = height // stage['pool'], width_px // stage['pool']
            if height < 1 or width_px < 1:
                sys.exit(f'pytorch_peer: the image is too small for the conv stack: {height}x{width_px} maps after {stage}')
        layers.append(nn.Flatten())
        if arch['dropout'] > 0:
            layers.append(nn.Dropout(arch['dropout']))
        width = channels * height * width_px
    else:
        sys.exit(f'pytorch_peer: unknown architecture.input.kind {inp["kind"]!r}')

    def dense(n_in, n_out, bias=True):
        linear = nn.Linear(n_in, n_out, bias=bias)
        nn.init.xavier_uniform_(linear.weight)  # glorot uniform: symmetric in fan-in and fan-out, so (out, in) is fine
        if bias:
            nn.init.zeros_(linear.bias)
        return linear

    for units in arch['hidden']:
        if arch.get('batchNorm'):
            # Keras's BatchNormalization(momentum 0.99, epsilon 1e-3) is torch's momentum 0.01, eps 1e-3.
            layers += [dense(width, units, bias=False), nn.BatchNorm1d(units, eps=1e-3, momentum=0.01), nn.ReLU()]
        else:
            layers += [dense(width, units), nn.ReLU()]
        if arch['dropout'] > 0:  # Keras's Dropout(0) is the identity; skip the layer as weft does
            layers.append(nn.Dropout(arch['dropout']))
        width = units
    layers.append(dense(width, arch['classes']))
    return nn.Sequential(*layers)


def param_count(model):
    return sum(p.numel() for p in model.parameters())


def adam(torch, model):
    # Keras defaults. torch adds eps to sqrt(v_hat), Keras to sqrt(v) with the bias correction
    # folded into the step size (Kingma & Ba 2015, the epsilon-hat form); at eps = 1e-7 the two
    # differ only where v is ~1e-14, which does not change timings.
    return torch.optim.Adam(model.parameters(), lr=0.001, betas=(0.9, 0.999), eps=1e-7)


def train_step(model, loss_fn, optimizer, x, y):
    optimizer.zero_grad(set_to_none=True)
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    return loss


def synthetic_batches(torch, arch, batch, count=4):
    """A few batches to cycle through, so one set of cache-resident inputs does not flatter the rate."""
    inp = arch['input']
    out = []
    for _ in range(count):
        if inp['kind'] == 'features':
            x = torch.rand(batch, inp['size'])
        elif inp['kind'] == 'image':
            x = torch.rand(batch, inp['channels'], inp['height'], inp['width'])  # NCHW, see the module docstring
        else:
            x = torch.randint(0, inp['vocab'], (batch, inp['length']))
        out.append((x, torch.randint(0, arch['classes'], (batch,))))
    return out


def run_rate(torch, job):
    arch, batch = need(job, 'architecture'), need(job, 'batch')
    repeats, warmup_ms, min_repeat_ms = need(job, 'repeats'), need(job, 'warmupMs'), need(job, 'minRepeatMs')
    torch.manual_seed(0)
    model = build_model(torch, arch)
    model.train()
    loss_fn, optimizer = torch.nn.CrossEntropyLoss(), adam(torch, model)
    data = synthetic_batches(torch, arch, batch)
    first = next(p for p in model.parameters() if p.dim() == 2).detach().clone()
    step = [0]

    def run_for(ms):
        """Whole steps until at least `ms` have passed (one at least); returns (steps, seconds, last loss)."""
        steps, t0 = 0, time.perf_counter()
        while True:
            x, y = data[step[0] % len(data)]
            loss = train_step(model, loss_fn, optimizer, x, y)
            step[0] += 1
            steps += 1
            elapsed = time.perf_counter() - t0
            if elapsed * 1000 >= ms:
                return steps, elapsed, loss.item()

    _, _, loss = run_for(warmup_ms)
    rates = []
    for _ in range(repeats):
        steps, seconds, loss = run_for(min_repeat_ms)
        if not math.isfinite(loss):
            sys.exit(f'pytorch_peer: the loss is {loss} after {step[0]} steps')
        rates.append(steps * batch / seconds)
    moved = next(p for p in model.parameters() if p.dim() == 2).detach()
    if torch.equal(first, moved):
        sys.exit(f'pytorch_peer: the first kernel did not change in {step[0]} steps')
    log(f'{step[0]} steps, last loss {loss:.4f}')
    emit({'samplesPerSec': rates, 'params': param_count(model), 'torch': torch.__version__,
          'threads': torch.get_num_threads(), 'blas': blas_info(torch)})


def read_idx(torch, path):
    """An IDX file of unsigned bytes (magic 0x08 type, then the rank): a uint8 tensor of its dims."""
    with gzip.open(path, 'rb') as f:
        data = bytearray(f.read())  # writable, so torch.frombuffer does not warn
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        sys.exit(f'pytorch_peer: {path} is not an IDX file of unsigned bytes')
    rank = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], 'big') for i in range(rank)]
    header = 4 + 4 * rank
    if len(data) - header != math.prod(dims):
        sys.exit(f'pytorch_peer: {path} holds {len(data) - header} bytes of data, its header says {dims}')
    return torch.frombuffer(data, dtype=torch.uint8, offset=header).reshape(dims)


def load_fashion(torch, data_dir, arch):
    """The four IDX files as the model reads them: [n, h·w] features or [n, 1, h, w] images."""
    inp = arch['input']

    def images(name):
        t = read_idx(torch, os.path.join(data_dir, name))
        n, h, w = t.shape
        if inp['kind'] == 'features' and inp['size'] == h * w:
            return t.reshape(n, h * w).float() / 255
        if inp['kind'] == 'image' and (inp['height'], inp['width'], inp['channels']) == (h, w, 1):
            return t.reshape(n, 1, h, w).float() / 255
        sys.exit(f'pytorch_peer: {name} holds {h}x{w} images; the architecture reads {inp}')

    def labels(name):
        return read_idx(torch, os.path.join(data_dir, name)).long()

    return (images('train-images-idx3-ubyte.gz'), labels('train-labels-idx1-ubyte.gz'),
            images('t10k-images-idx3-ubyte.gz'), labels('t10k-labels-idx1-ubyte.gz'))


def accuracy(torch, model, x, y, chunk=1000):
    # 1,000 rows at a time: a convnet's first feature maps for all 10,000 test images would take ~0.9 GB.
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), chunk):
            correct += (model(x[i:i + chunk]).argmax(1) == y[i:i + chunk]).sum().item()
    model.train()
    return correct / len(x)


def run_fashion(torch, job):
    data_dir, batch, epochs = need(job, 'dataDir'), need(job, 'batch'), need(job, 'epochs')
    target = job.get('target')
    seed = job.get('seed', 1)
    arch = need(job, 'architecture')
    x_train, y_train, x_test, y_test = load_fashion(torch, data_dir, arch)
    torch.manual_seed(seed)
    shuffle = torch.Generator().manual_seed(seed)
    model = build_model(torch, arch)
    model.train()
    loss_fn, optimizer = torch.nn.CrossEntropyLoss(), adam(torch, model)
    n = len(x_train)
    train_seconds, start = 0.0, time.perf_counter()
    for epoch in range(1, epochs + 1):
        t0 = time.perf_counter()
        order = torch.randperm(n, generator=shuffle)
        total = 0.0
        for i in range(0, n, batch):  # the last, partial batch too, as Keras's fit does
            idx = order[i:i + batch]
            total += train_step(model, loss_fn, optimizer, x_train[idx], y_train[idx]).item() * len(idx)
        train_seconds += time.perf_counter() - t0
        loss = total / n
        if not math.isfinite(loss):
            sys.exit(f'pytorch_peer: the loss is {loss} in epoch {epoch}')
        acc = accuracy(torch, model, x_test, y_test)
        emit({'epoch': epoch, 'trainSeconds': train_seconds, 'wallSeconds': time.perf_counter() - start,
              'testAccuracy': acc, 'loss': loss})
        if target is not None and acc >= target:
            break  # the caller asked only for the time to `target`
    emit({'done': True, 'params': param_count(model), 'torch': torch.__version__,
          'threads': torch.get_num_threads(), 'blas': blas_info(torch)})


def main():
    job = json.loads(sys.argv[1] if len(sys.argv) > 1 else sys.stdin.read())
    if job.get('exitWithParent'):
        exit_with_parent()
    threads = need(job, 'threads')
    limit_threads(threads)
    import torch
    torch.set_num_threads(threads)
    try:
        torch.set_num_interop_threads(1)  # one op at a time, as in a training step; refused once parallel work has begun
    except RuntimeError as e:
        log(f'set_num_interop_threads(1) refused: {e}')
    modes = {'rate': run_rate, 'fashion': run_fashion}
    mode = job.get('mode')
    if mode not in modes:
        sys.exit(f'pytorch_peer: unknown mode {mode!r}; expected one of {sorted(modes)}')
    modes[mode](torch, job)


if __name__ == '__main__':
    main()
