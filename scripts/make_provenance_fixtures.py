#!/usr/bin/env python3
"""Writes the small datasets of test/fixtures/provenance/ and their expected commitments.

The expected roots are computed here, in Python, from the encodings documented in
docs/provenance.md (RFC 6962 tree over "zkinfer.leaf/1" leaves of "zkinfer.sample.*/1"
samples), independently of the TypeScript code the tests check. Deterministic: rerunning
rewrites every file byte for byte (gzip without a timestamp).

    /usr/bin/python3 scripts/make_provenance_fixtures.py
"""
import gzip
import hashlib
import io
import json
import os
import random
import struct

import numpy as np

OUT = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'provenance')
SIDE = 4
TRAIN, TEST = 48, 6


def images_for(rng, n):
    """Class-patterned 4x4 uint8 images: class c lights quadrant c (and noise)."""
    xs, ys = [], []
    for i in range(n):
        c = i % 3
        img = [[rng.randrange(0, 40) for _ in range(SIDE)] for _ in range(SIDE)]
        r0, c0 = [(0, 0), (0, 2), (2, 0)][c]
        for r in range(r0, r0 + 2):
            for k in range(c0, c0 + 2):
                img[r][k] = rng.randrange(150, 256)
        xs.append(img)
        ys.append(c)
    return xs, ys


def idx_bytes(type_code, dims, payload):
    return bytes([0, 0, type_code, len(dims)]) + b''.join(struct.pack('>I', d) for d in dims) + payload


def write_gz(path, data):
    buf = io.BytesIO()
    with gzip.GzipFile(filename='', mode='wb', fileobj=buf, mtime=0) as f:
        f.write(data)
    with open(path, 'wb') as f:
        f.write(buf.getvalue())


# --- the encodings, as docs/provenance.md states them ---------------------------------
def tensor_sample_hash(dtype, shape, data_le, label):
    enc = b'zkinfer.sample.tensor/1\x00' + dtype.encode('ascii') + b'\x00' + bytes([len(shape)])
    enc += b''.join(struct.pack('>I', d) for d in shape)
    enc += b'\x00' if label is None else b'\x01' + struct.pack('>q', label)
    return hashlib.sha256(enc + data_le).digest()


def js_numbers(v):
    """JSON numbers as ECMAScript prints them: an integral float has no '.0'."""
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, list):
        return [js_numbers(x) for x in v]
    if isinstance(v, dict):
        return {k: js_numbers(x) for k, x in v.items()}
    return v


def json_sample_hash(obj):
    text = json.dumps(js_numbers(obj), sort_keys=True, separators=(',', ':'), ensure_ascii=False)
    return hashlib.sha256(b'zkinfer.sample.json/1\x00' + text.encode('utf-8')).digest()


def leaf_hash(sample_hash, contributor):
    return hashlib.sha256(b'\x00' + b'zkinfer.leaf/1\x00' + sample_hash + contributor.encode('utf-8')).digest()


def mth(leaves):
    """RFC 6962 Merkle tree hash, recursively as the RFC defines it."""
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b'').digest()
    if n == 1:
        return leaves[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(b'\x01' + mth(leaves[:k]) + mth(leaves[k:])).digest()


def contributor_by_range(assign, i):
    for r in assign:
        if r['from'] <= i < r['to']:
            return r['contributor']
    raise ValueError(i)


def main():
    rng = random.Random(20250301)
    os.makedirs(os.path.join(OUT, 'idx'), exist_ok=True)
    os.makedirs(os.path.join(OUT, 'npy'), exist_ok=True)
    train_x, train_y = images_for(rng, TRAIN)
    test_x, test_y = images_for(rng, TEST)

    def flat(xs):
        return bytes(v for img in xs for row in img for v in row)

    # IDX, gzipped like Debian's Fashion-MNIST, plus an uncompressed test split.
    write_gz(os.path.join(OUT, 'idx', 'train-images-idx3-ubyte.gz'), idx_bytes(0x08, [TRAIN, SIDE, SIDE], flat(train_x)))
    write_gz(os.path.join(OUT, 'idx', 'train-labels-idx1-ubyte.gz'), idx_bytes(0x08, [TRAIN], bytes(train_y)))
    with open(os.path.join(OUT, 'idx', 't10k-images-idx3-ubyte'), 'wb') as f:
        f.write(idx_bytes(0x08, [TEST, SIDE, SIDE], flat(test_x)))
    with open(os.path.join(OUT, 'idx', 't10k-labels-idx1-ubyte'), 'wb') as f:
        f.write(idx_bytes(0x08, [TEST], bytes(test_y)))

    # The same training split as NPY (uint8 images, int64 labels, as numpy writes them).
    np.save(os.path.join(OUT, 'npy', 'train-images.npy'), np.array(train_x, dtype=np.uint8))
    np.save(os.path.join(OUT, 'npy', 'train-labels.npy'), np.array(train_y, dtype=np.int64))

    # JSONL: model inputs (pixel / 256 keeps every value exact in both languages' JSON).
    jsonl_rows = []
    people = ['ana', 'ben', 'chloe']
    for i in range(12):
        img = train_x[i]
        row = {'id': f'row-{i}', 'input': [[[[v / 256 for v in r] for r in img]]], 'label': train_y[i], 'who': people[(i * 7) % 3]}
        jsonl_rows.append(row)
    with open(os.path.join(OUT, 'samples.jsonl'), 'w') as f:
        for row in jsonl_rows:
            f.write(json.dumps(row) + '\n')

    tensor_assign = [
        {'from': 0, 'to': 20, 'contributor': 'atelier-a'},
        {'from': 20, 'to': 36, 'contributor': 'studio-b'},
        {'from': 36, 'to': 48, 'contributor': 'atelier-a'},
    ]
    tensor_map = {
        'format': 'zkinfer.contributors/1',
        'description': 'test fixture: two contributors by index range',
        'contributors': [{'id': 'studio-b', 'name': 'Studio B'}, {'id': 'atelier-a', 'name': 'Atelier A'}],
        'assign': tensor_assign,
    }
    field_map = {
        'format': 'zkinfer.contributors/1',
        'contributors': [{'id': p} for p in people],
        'assign': {'field': 'who'},
    }
    with open(os.path.join(OUT, 'contributors.json'), 'w') as f:
        json.dump(tensor_map, f, indent=2)
        f.write('\n')
    with open(os.path.join(OUT, 'contributors-field.json'), 'w') as f:
        json.dump(field_map, f, indent=2)
        f.write('\n')

    tensor_leaves = []
    counts = {'atelier-a': 0, 'studio-b': 0}
    for i, (img, y) in enumerate(zip(train_x, train_y)):
        who = contributor_by_range(tensor_assign, i)
        counts[who] += 1
        tensor_leaves.append(leaf_hash(tensor_sample_hash('uint8', [SIDE, SIDE], bytes(v for r in img for v in r), y), who))
    json_leaves = []
    json_counts = {p: 0 for p in people}
    for row in jsonl_rows:
        sample = {k: v for k, v in row.items() if k not in ('id', 'who')}
        json_counts[row['who']] += 1
        json_leaves.append(leaf_hash(json_sample_hash(sample), row['who']))

    expected = {
        'source': 'computed by scripts/make_provenance_fixtures.py (Python hashlib, recursive RFC 6962), independently of src/provenance',
        'tensor': {'root': mth(tensor_leaves).hex(), 'leafCount': TRAIN, 'counts': counts,
                   'leafHashes': [h.hex() for h in tensor_leaves[:3]]},
        'json': {'root': mth(json_leaves).hex(), 'leafCount': len(json_leaves), 'counts': json_counts},
    }
    with open(os.path.join(OUT, 'expected.json'), 'w') as f:
        json.dump(expected, f, indent=2)
        f.write('\n')


if __name__ == '__main__':
    main()
