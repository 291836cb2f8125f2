// Run by .ci/run after `npm ci`: the native parts load and work without any install script having run.
const ort = require("onnxruntime-node");
// A one-node Identity model, protobuf-encoded by hand (all lengths < 128): proves a CPU session really runs.
const C = (...a) => Buffer.concat(a);
const msg = (n, b) => C(Buffer.from([(n << 3) | 2, b.length]), b);
const str = (n, t) => msg(n, Buffer.from(t));
const int = (n, x) => Buffer.from([n << 3, x]);
const tensor = (name) => C(str(1, name), msg(2, msg(1, C(int(1, 1), msg(2, msg(1, int(1, 2)))))));
const graph = C(msg(1, C(str(1, "x"), str(2, "y"), str(4, "Identity"))), str(2, "g"), msg(11, tensor("x")), msg(12, tensor("y")));
const model = C(int(1, 8), msg(8, int(2, 17)), msg(7, graph));
ort.InferenceSession.create(model, { executionProviders: ["cpu"] }).then(async (session) => {
  const { y } = await session.run({ x: new ort.Tensor("float32", Float32Array.from([1.5, -2]), [2]) });
  if (y.data[0] !== 1.5 || y.data[1] !== -2) throw new Error("onnxruntime-node: wrong output " + y.data);
  console.log("onnxruntime-node", ort.env.versions.node, "CPU session ok");
}).catch((e) => { console.error(e); process.exit(1); });

const swc = require("@swc/core");
const out = swc.transformSync("const x: number = 1", { jsc: { parser: { syntax: "typescript" } } }).code;
if (!out.includes("x = 1")) throw new Error("@swc/core: transform failed: " + out);
console.log("@swc/core", swc.version, "transform ok");
