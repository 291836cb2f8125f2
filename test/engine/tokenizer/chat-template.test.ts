import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createChatTemplate, loadChatTemplate, renderCompletion, renderPrompt } from '../../../engine/tokenizer/chat-template';

// ChatML as Qwen2 ships it (abridged: no tools branch); transformers renders these exact strings.
const CHATML = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
// A Llama-2 style template: bos_token from tokenizer_config.json and raise_exception on a bad role order.
const LLAMA2 = "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% else %}{{ ' ' + message['content'] + eos_token }}{% endif %}{% endfor %}";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prefloop-chat-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('chat templates (@huggingface/jinja)', () => {
  const user = [{ role: 'user' as const, content: 'Hi?' }];

  it('renders with and without the generation prompt', () => {
    const t = createChatTemplate(CHATML, {}, 'tokenizer_config.json');
    expect(t.render(user, { addGenerationPrompt: true, where: 'r' })).toBe('<|im_start|>user\nHi?<|im_end|>\n<|im_start|>assistant\n');
    expect(t.render(user, { addGenerationPrompt: false, where: 'r' })).toBe('<|im_start|>user\nHi?<|im_end|>\n');
  });

  it('passes the special tokens of tokenizer_config.json (strings or AddedToken objects)', () => {
    const t = createChatTemplate(LLAMA2, { bos_token: { content: '<s>' }, eos_token: '</s>' }, 'tc.json');
    expect(t.render([...user, { role: 'assistant', content: 'Yes.' }], { addGenerationPrompt: false, where: 'r' })).toBe('<s>[INST] Hi? [/INST] Yes.</s>');
  });

  it('names the template file, the row and the template\'s own error when rendering fails', () => {
    const t = createChatTemplate(LLAMA2, { bos_token: '<s>', eos_token: '</s>' }, '/m/tokenizer_config.json');
    expect(() => t.render([{ role: 'assistant', content: 'x' }, { role: 'user', content: 'y' }], { addGenerationPrompt: true, where: 'p.jsonl:7' }))
      .toThrow(/^p\.jsonl:7: the chat template of \/m\/tokenizer_config\.json failed on this row \(.*Conversation roles must alternate/);
    expect(() => createChatTemplate('{% for x in %}', {}, 'bad.jinja')).toThrow(/^bad\.jinja: the chat template does not parse/);
  });

  it('loads chat_template.jinja before tokenizer_config.json, and a named default template', async () => {
    const a = path.join(dir, 'a');
    fs.mkdirSync(a);
    fs.writeFileSync(path.join(a, 'tokenizer_config.json'), JSON.stringify({ chat_template: [{ name: 'tool_use', template: 'T' }, { name: 'default', template: CHATML }] }));
    const fromConfig = await loadChatTemplate(a);
    expect(fromConfig!.source).toBe(path.join(a, 'tokenizer_config.json'));
    expect(fromConfig!.render(user, { addGenerationPrompt: true, where: 'r' })).toMatch(/assistant\n$/);
    fs.writeFileSync(path.join(a, 'chat_template.jinja'), 'J:{{ messages[0].content }}');
    const fromJinja = await loadChatTemplate(a);
    expect(fromJinja!.source).toBe(path.join(a, 'chat_template.jinja'));
    expect(fromJinja!.render(user, { addGenerationPrompt: true, where: 'r' })).toBe('J:Hi?');
    const none = path.join(dir, 'none');
    fs.mkdirSync(none);
    expect(await loadChatTemplate(none)).toBeUndefined();
  });

  it('renders prompts: strings as written, conversations through the template, and refuses a conversation without one', () => {
    const t = createChatTemplate(CHATML, {}, 'tc.json');
    expect(renderPrompt('The sky is', undefined, 'p:1', '/m')).toBe('The sky is');
    expect(renderPrompt(user, t, 'p:1', '/m')).toBe('<|im_start|>user\nHi?<|im_end|>\n<|im_start|>assistant\n');
    expect(() => renderPrompt(user, undefined, 'p.jsonl:3', '/m')).toThrow(/^p\.jsonl:3: the prompt is a conversation but \/m has no chat template/);
  });

  it('cuts a conversational completion out of the rendered conversation (TRL\'s way)', () => {
    const t = createChatTemplate(CHATML, {}, 'tc.json');
    expect(renderCompletion(user, [{ role: 'assistant', content: 'Blue.' }], t, 'r')).toBe('Blue.<|im_end|>\n');
    const odd = createChatTemplate('{% if add_generation_prompt %}GEN{% endif %}{{ messages|length }}', {}, 'odd.jinja');
    expect(() => renderCompletion(user, [{ role: 'assistant', content: 'x' }], odd, 'pairs.jsonl:4')).toThrow(/^pairs\.jsonl:4: the chat template of odd\.jinja renders the prompt/);
  });
});

describe('decoding an empty response', () => {
  it('is the empty text (a response that is only a stop token)', async () => {
    const { loadHfTokenizerFromDir } = await import('../../../engine/tokenizer/hf');
    const tokenizer = await loadHfTokenizerFromDir(path.join(__dirname, '..', '..', 'fixtures', 'reward-model'));
    expect(tokenizer.decode([tokenizer.eosId])).toBe('');
    expect(tokenizer.decode([])).toBe('');
  });
});
