/**
 * A small hand-written protobuf encoder for the subset of onnx.proto that prefloop emits.
 *
 * Why hand-written rather than protobufjs with a JSON descriptor: we only ever *write* ModelProtos, the
 * subset is nine messages with a few fields each, and a direct encoder gives byte-for-byte deterministic
 * output (fields in one fixed order, no reflection, no default-value quirks), which is what the content
 * hash relies on. Field numbers are those of onnx/onnx.proto (proto2; repeated scalars are written
 * unpacked, which every protobuf parser must accept).
 */

/** TensorProto.DataType values for the element types prefloop uses. */
export const ElemType = { FLOAT: 1, INT32: 6, INT64: 7, BOOL: 9, DOUBLE: 11 } as const;
export type ElemType = (typeof ElemType)[keyof typeof ElemType];

export interface TensorData {
  name: string;
  elemType: ElemType;
  dims: number[];
  /** Little-endian raw bytes, as TensorProto.raw_data expects. */
  raw: Uint8Array;
}

export type AttrValue =
  | { kind: 'int'; value: number }
  | { kind: 'ints'; value: number[] }
  | { kind: 'float'; value: number }
  | { kind: 'floats'; value: number[] }
  | { kind: 'string'; value: string }
  | { kind: 'tensor'; value: TensorData };

export interface NodeData {
  name: string;
  opType: string;
  domain?: string;
  inputs: string[];
  outputs: string[];
  attrs: [string, AttrValue][];
}

export interface ValueInfoData {
  name: string;
  elemType: ElemType;
  /** number = fixed size, string = symbolic dim_param, null = unknown (empty Dimension). */
  dims: (number | string | null)[];
}

export interface ModelData {
  irVersion: number;
  opset: number;
  producerName: string;
  producerVersion: string;
  graph: {
    name: string;
    nodes: NodeData[];
    initializers: TensorData[];
    inputs: ValueInfoData[];
    outputs: ValueInfoData[];
  };
}

/** Growable byte buffer with protobuf primitive writers. */
class Writer {
  private buf = new Uint8Array(256);
  private len = 0;

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.len++] = b;
  }

  varint(n: number | bigint): void {
    // int64 fields use two's complement: a negative value takes ten bytes.
    let v = typeof n === 'bigint' ? BigInt.asUintN(64, n) : n >= 0 && Number.isSafeInteger(n) ? n : BigInt.asUintN(64, BigInt(n));
    if (typeof v === 'number') {
      while (v > 0x7f) {
        this.byte((v % 128) | 0x80);
        v = Math.floor(v / 128);
      }
      this.byte(v);
      return;
    }
    while (v > 0x7fn) {
      this.byte(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.byte(Number(v));
  }

  tag(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  bytes(field: number, data: Uint8Array): void {
    this.tag(field, 2);
    this.varint(data.length);
    this.ensure(data.length);
    this.buf.set(data, this.len);
    this.len += data.length;
  }

  string(field: number, s: string): void {
    this.bytes(field, Buffer.from(s, 'utf8'));
  }

  int(field: number, n: number): void {
    this.tag(field, 0);
    this.varint(n);
  }

  float(field: number, x: number): void {
    this.tag(field, 5);
    this.ensure(4);
    new DataView(this.buf.buffer, this.buf.byteOffset).setFloat32(this.len, x, true);
    this.len += 4;
  }

  message(field: number, write: (w: Writer) => void): void {
    const inner = new Writer();
    write(inner);
    this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

function writeTensor(w: Writer, t: TensorData): void {
  for (const d of t.dims) w.int(1, d);
  w.int(2, t.elemType);
  w.string(8, t.name);
  w.bytes(9, t.raw);
}

function writeAttr(w: Writer, name: string, a: AttrValue): void {
  w.string(1, name);
  switch (a.kind) {
    case 'float':
      w.float(2, a.value);
      w.int(20, 1);
      break;
    case 'int':
      w.int(3, a.value);
      w.int(20, 2);
      break;
    case 'string':
      w.string(4, a.value);
      w.int(20, 3);
      break;
    case 'tensor':
      w.message(5, (m) => writeTensor(m, a.value));
      w.int(20, 4);
      break;
    case 'floats':
      for (const x of a.value) w.float(7, x);
      w.int(20, 6);
      break;
    case 'ints':
      for (const x of a.value) w.int(8, x);
      w.int(20, 7);
      break;
  }
}

function writeNode(w: Writer, n: NodeData): void {
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, n.name);
  w.string(4, n.opType);
  for (const [name, a] of n.attrs) w.message(5, (m) => writeAttr(m, name, a));
  if (n.domain) w.string(7, n.domain);
}

function writeValueInfo(w: Writer, v: ValueInfoData): void {
  w.string(1, v.name);
  // TypeProto.tensor_type(1) -> TypeProto.Tensor { elem_type(1), shape(2) { dim(1) { dim_value(1) | dim_param(2) } } }
  w.message(2, (type) =>
    type.message(1, (tt) => {
      tt.int(1, v.elemType);
      tt.message(2, (shape) => {
        for (const d of v.dims) {
          shape.message(1, (dim) => {
            if (typeof d === 'number') dim.int(1, d);
            else if (typeof d === 'string') dim.string(2, d);
          });
        }
      });
    }),
  );
}

/** Serialize a ModelProto. */
export function encodeModel(m: ModelData): Uint8Array {
  const w = new Writer();
  w.int(1, m.irVersion);
  w.string(2, m.producerName);
  w.string(3, m.producerVersion);
  w.message(7, (g) => {
    for (const n of m.graph.nodes) g.message(1, (x) => writeNode(x, n));
    g.string(2, m.graph.name);
    for (const t of m.graph.initializers) g.message(5, (x) => writeTensor(x, t));
    for (const i of m.graph.inputs) g.message(11, (x) => writeValueInfo(x, i));
    for (const o of m.graph.outputs) g.message(12, (x) => writeValueInfo(x, o));
  });
  w.message(8, (op) => {
    op.string(1, '');
    op.int(2, m.opset);
  });
  return w.finish();
}
