"""A tiny reward model as Optimum exports one for sequence classification, and transformers' scores for it.

    pip install torch transformers onnx onnxscript    (run by hand; CI never runs Python for this)
    python scripts/make_reward_model_fixture.py

Writes test/fixtures/reward-model/: model.onnx (inputs input_ids, attention_mask; output logits [batch, 1], the
names Optimum's ORTModelForSequenceClassification uses), config.json, tokenizer.json, tokenizer_config.json and
chat_template.jinja (a ChatML template, as transformers saves it), and expected.json: rows of (prompt, response),
the text transformers' apply_chat_template renders for them, its token ids, and the reward the PyTorch model gives.
prefloop's ONNX reward path must reproduce the text, the ids and (within 1e-4) the rewards without Python.
"""
import json
import os

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import GPT2Config, GPT2ForSequenceClassification, PreTrainedTokenizerFast

OUT = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "reward-model")
CHATML = (
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)
CORPUS = [
    "The sky is blue and the grass is green.",
    "Two plus two is four. Three plus three is six.",
    "Answer briefly and politely, please.",
    "What color is the sky? It is blue on a clear day.",
    "Name a prime number: two, three, five, seven, eleven.",
]
SPECIALS = ["<|pad|>", "<|endoftext|>", "<|im_start|>", "<|im_end|>"]
ROWS = [
    {"prompt": [{"role": "user", "content": "What color is the sky?"}], "response": "It is blue."},
    {"prompt": [{"role": "user", "content": "What color is the sky?"}], "response": "Green, always green!"},
    {"prompt": [{"role": "system", "content": "Answer briefly."}, {"role": "user", "content": "Name a prime number."}], "response": "Seven."},
    {"prompt": "Two plus two is", "response": " four."},
]


def main():
    torch.manual_seed(0)
    os.makedirs(OUT, exist_ok=True)
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(CORPUS, trainers.BpeTrainer(vocab_size=320, special_tokens=SPECIALS, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<|pad|>", eos_token="<|endoftext|>", bos_token="<|endoftext|>")
    fast.chat_template = CHATML
    fast.save_pretrained(OUT)

    pad = fast.pad_token_id
    config = GPT2Config(vocab_size=len(fast), n_positions=128, n_embd=32, n_layer=2, n_head=2, num_labels=1, pad_token_id=pad)
    model = GPT2ForSequenceClassification(config).eval()
    # A visible spread of rewards: the random head alone gives values near 0.
    with torch.no_grad():
        model.score.weight.mul_(20.0)
    model.config.save_pretrained(OUT)

    class Logits(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, input_ids, attention_mask):
            return self.m(input_ids=input_ids, attention_mask=attention_mask, use_cache=False).logits

    example = fast(["a b c d", "a"], padding=True, return_tensors="pt")
    # torch.export (dynamo) keeps the sequence length symbolic; the TorchScript tracer bakes the example's shapes into
    # the attention mask and gives wrong scores at other lengths.
    batch, sequence = torch.export.Dim("batch"), torch.export.Dim("sequence")
    torch.onnx.export(
        Logits(model), (example["input_ids"], example["attention_mask"]), os.path.join(OUT, "model.onnx"),
        input_names=["input_ids", "attention_mask"], output_names=["logits"],
        dynamic_shapes={"input_ids": {0: batch, 1: sequence}, "attention_mask": {0: batch, 1: sequence}},
        dynamo=True, external_data=False,
    )

    expected = []
    for row in ROWS:
        if isinstance(row["prompt"], str):
            text = row["prompt"] + row["response"]  # standard format: prompt and completion concatenated (TRL)
        else:
            text = fast.apply_chat_template(row["prompt"] + [{"role": "assistant", "content": row["response"]}], tokenize=False)
        ids = fast(text, add_special_tokens=False)["input_ids"]
        with torch.no_grad():
            reward = model(input_ids=torch.tensor([ids]), attention_mask=torch.ones(1, len(ids), dtype=torch.long)).logits[0, 0].item()
        expected.append({**row, "text": text, "ids": ids, "reward": reward})
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump({"pad_token_id": pad, "rows": expected}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
