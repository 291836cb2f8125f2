"""Tiny random Hugging Face decoders of every family prefloop loads, and what transformers computes with them.

    pip install torch transformers tokenizers safetensors    (run by hand; CI never runs Python for this)
    python scripts/make_hf_fixtures.py

Writes test/fixtures/hf/<name>/, each a model directory as save_pretrained writes it (config.json,
model.safetensors or model-0000k-of-0000n.safetensors + model.safetensors.index.json, generation_config.json,
tokenizer.json, tokenizer_config.json, chat_template.jinja) plus expected.json:
  - `logits`: transformers' logits [seq, vocab] for `ids` (one row, no padding), computed in float32;
  - `greedy`: `prompt_ids` and the tokens transformers' generate(do_sample=False) adds (stopping at the eos ids of
    generation_config.json); `chat_greedy`: the same for PROMPT as a user message through apply_chat_template
    (add_generation_prompt=True), what `prefloop generate --greedy` computes;
  - `logps`: rows of (prompt ids, response ids) and the sum of the response tokens' log-probs.
Models saved in float16 / bfloat16 are reloaded in float32 for the expected values: prefloop computes in float32 on
the same (exactly widened) weights, so the values must agree to 1e-4.
"""
import json
import os

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import (
    AutoModelForCausalLM, GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM, MistralConfig,
    MistralForCausalLM, PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM,
)

OUT = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "hf")
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
    "describe the small dog. the small dog is nice and happy.",
    "tell me about the red car. the red car is fast and lovely.",
]
SPECIALS = ["<|pad|>", "<|endoftext|>", "<|im_start|>", "<|im_end|>"]
TEXT = "The sky is blue and two plus two is four."
PROMPT = "What color is the sky?"
ROWS = [("Two plus two is", " four."), ("The sky is", " blue and green."), ("Name a prime", " number: seven.")]


def tokenizer():
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(CORPUS, trainers.BpeTrainer(vocab_size=320, special_tokens=SPECIALS, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<|pad|>", eos_token="<|im_end|>", bos_token="<|endoftext|>")
    fast.chat_template = CHATML
    return fast


def common(tok):
    return dict(vocab_size=len(tok), bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)


def llama_like(tok, **kw):
    base = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                max_position_embeddings=64, initializer_range=0.2, rms_norm_eps=1e-6)
    base.update(kw)
    return {**common(tok), **base}


def families(tok):
    """(directory name, model, save dtype, save kwargs)."""
    yield "gpt2", GPT2LMHeadModel(GPT2Config(**common(tok), n_positions=64, n_embd=32, n_layer=2, n_head=4, initializer_range=0.2)), torch.float32, {}
    yield "llama", LlamaForCausalLM(LlamaConfig(**llama_like(tok, tie_word_embeddings=True))), torch.float32, {}
    # Llama 3.x: rope_scaling 'llama3' (original context 16 < 64 so every frequency band is exercised), untied head,
    # sharded into several files, stored as bfloat16.
    llama3 = llama_like(tok, tie_word_embeddings=False, rope_theta=500000.0,
                        rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                      "original_max_position_embeddings": 16})
    yield "llama3-sharded-bf16", LlamaForCausalLM(LlamaConfig(**llama3)), torch.bfloat16, {"max_shard_size": "40KB"}
    yield "qwen2-f16", Qwen2ForCausalLM(Qwen2Config(**llama_like(tok, tie_word_embeddings=True, rope_theta=1000000.0))), torch.float16, {}
    yield "mistral", MistralForCausalLM(MistralConfig(**llama_like(tok, tie_word_embeddings=False, sliding_window=4096, head_dim=16))), torch.float32, {}


def expected(model, tok):
    ids = tok(TEXT)["input_ids"]
    with torch.no_grad():
        logits = model(torch.tensor([ids])).logits[0]
    prompt_ids = tok(PROMPT)["input_ids"]
    eos = model.generation_config.eos_token_id
    eos = eos if isinstance(eos, list) else [eos]
    out = model.generate(torch.tensor([prompt_ids]), attention_mask=torch.ones(1, len(prompt_ids), dtype=torch.long),
                         do_sample=False, max_new_tokens=12, eos_token_id=eos, pad_token_id=tok.pad_token_id)
    chat_ids = tok.apply_chat_template([{"role": "user", "content": PROMPT}], add_generation_prompt=True, tokenize=True)
    chat_ids = list(chat_ids["input_ids"] if isinstance(chat_ids, dict) or hasattr(chat_ids, "keys") else chat_ids)
    chat = model.generate(torch.tensor([chat_ids]), attention_mask=torch.ones(1, len(chat_ids), dtype=torch.long),
                          do_sample=False, max_new_tokens=12, eos_token_id=eos, pad_token_id=tok.pad_token_id)
    rows = []
    for prompt, response in ROWS:
        p = tok(prompt)["input_ids"]
        r = tok(response)["input_ids"]
        full = torch.tensor([p + r])
        with torch.no_grad():
            logp = torch.log_softmax(model(full).logits[0].double(), -1)
        total = sum(logp[len(p) - 1 + j, tok_id].item() for j, tok_id in enumerate(r))
        rows.append({"prompt": p, "response": r, "logp": total})
    return {
        "text": TEXT, "ids": ids, "logits": logits.tolist(),
        "greedy": {"prompt": PROMPT, "prompt_ids": prompt_ids, "eos": eos, "max_new_tokens": 12, "tokens": out[0, len(prompt_ids):].tolist()},
        "chat_greedy": {"prompt_ids": chat_ids, "tokens": chat[0, len(chat_ids):].tolist()},
        "logps": rows,
    }


def main():
    torch.manual_seed(0)
    tok = tokenizer()
    for name, model, dtype, save in families(tok):
        out = os.path.join(OUT, name)
        os.makedirs(out, exist_ok=True)
        for f in os.listdir(out):
            os.remove(os.path.join(out, f))
        model.generation_config.eos_token_id = [tok.eos_token_id, tok.convert_tokens_to_ids("<|endoftext|>")]
        model.to(dtype).save_pretrained(out, **save)
        tok.save_pretrained(out)
        reloaded = AutoModelForCausalLM.from_pretrained(out, dtype=torch.float32).eval()
        with open(os.path.join(out, "expected.json"), "w") as f:
            json.dump(expected(reloaded, tok), f)
        print(name, sorted(os.listdir(out)))


if __name__ == "__main__":
    main()
