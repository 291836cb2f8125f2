import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { charTokenizer, charTokenizerFromCorpus, loadHfTokenizer, loadHfTokenizerFromDir, tokenizerFromSpec, wordTokenizerFromCorpus, type Tokenizer } from '../../../engine/tokenizer';

const SPECIALS = ['<pad>', '<bos>', '<eos>', '<unk>'];

function addedTokens() {
  return SPECIALS.map((content, id) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }));
}

function wordLevelJson() {
  return {
    version: '1.0', truncation: null, padding: null, added_tokens: addedTokens(),
    normalizer: { type: 'Lowercase' }, pre_tokenizer: { type: 'Whitespace' }, post_processor: null, decoder: null,
    model: { type: 'WordLevel', vocab: { '<pad>': 0, '<bos>': 1, '<eos>': 2, '<unk>': 3, the: 4, cat: 5, sat: 6, '.': 7 }, unk_token: '<unk>' },
  };
}

function bpeJson() {
  const metaspace = { type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'always', split: true };
  return {
    version: '1.0', truncation: null, padding: null, added_tokens: addedTokens(),
    normalizer: null, pre_tokenizer: metaspace, post_processor: null, decoder: metaspace,
    model: {
      type: 'BPE', dropout: null, unk_token: '<unk>', continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, ignore_merges: false,
      vocab: { '<pad>': 0, '<bos>': 1, '<eos>': 2, '<unk>': 3, '\u2581': 4, a: 5, b: 6, c: 7, '\u2581a': 8, ab: 9, '\u2581ab': 10, '\u2581abc': 11, bc: 12 },
      merges: ['\u2581 a', 'a b', '\u2581a b', '\u2581ab c', 'b c'],
    },
  };
}

function specials(t: Tokenizer) {
  return [t.padId, t.bosId, t.eosId, t.unkId];
}

describe('character tokenizer', () => {
  it('is deterministic from a corpus, reserves the 4 special ids, and round-trips', () => {
    const corpus = ['ba ca', 'ab!', 'é'];
    const t = charTokenizerFromCorpus(corpus);
    expect(specials(t)).toEqual([0, 1, 2, 3]);
    expect(t.toJSON()).toEqual({ kind: 'char', alphabet: [' ', '!', 'a', 'b', 'c', 'é'] });
    expect(charTokenizerFromCorpus([...corpus].reverse()).toJSON()).toEqual(t.toJSON());
    expect(t.vocabSize).toBe(10);
    expect(t.encode('abc a!')).toEqual([6, 7, 8, 4, 6, 5]);
    expect(t.decode([1, ...t.encode('cab é'), 2, 0, 0])).toBe('cab é');
    expect(t.encode('az')).toEqual([6, 3]);
    expect(t.decode(t.encode('az'))).toBe('a\uFFFD');
    expect(() => t.decode([10])).toThrow(/ids\[0\] = 10 is outside the vocabulary \[0, 10\)/);
    expect(() => charTokenizer('aa')).toThrow(/appears twice/);
    // astral code points are one token
    expect(charTokenizer('😀x').encode('x😀')).toEqual([5, 4]);
  });
});

describe('word tokenizer', () => {
  const corpus = ['the cat sat on the mat.', 'The dog sat (quietly), then left!'];

  it('builds a frequency-ordered, deterministic vocabulary and round-trips normal text', () => {
    const t = wordTokenizerFromCorpus(corpus);
    const words = (t.toJSON() as { words: string[] }).words;
    expect(words.slice(0, 2)).toEqual(['sat', 'the']); // count 2 each; ties in code-unit order
    expect(wordTokenizerFromCorpus([...corpus].reverse()).toJSON()).toEqual(t.toJSON());
    expect(t.vocabSize).toBe(4 + words.length);
    const text = 'The dog sat (quietly), then left!';
    expect(t.decode(t.encode(text))).toBe(text);
    expect(t.decode([t.bosId, ...t.encode('the cat sat.'), t.eosId, t.padId])).toBe('the cat sat.');
    expect(t.encode('the zebra')).toEqual([t.encode('the')[0], 3]);
  });

  it('honours minCount and maxVocab', () => {
    const t = wordTokenizerFromCorpus(corpus, { minCount: 2 });
    expect((t.toJSON() as { words: string[] }).words).toEqual(['sat', 'the']);
    expect(wordTokenizerFromCorpus(corpus, { maxVocab: 3 }).vocabSize).toBe(7);
  });

  it('rebuilds from its spec', () => {
    const t = wordTokenizerFromCorpus(corpus);
    const u = tokenizerFromSpec(JSON.parse(JSON.stringify(t.toJSON())));
    expect(u.encode('the dog left')).toEqual(t.encode('the dog left'));
    expect(() => tokenizerFromSpec({ kind: 'sentencepiece' } as never)).toThrow(/unknown tokenizer kind "sentencepiece"/);
  });
});

describe('Hugging Face tokenizer.json adapter', () => {
  it('loads a WordLevel tokenizer.json written to disk; unknown words map to <unk>', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'prefloop-tok-'));
    const file = path.join(dir, 'tokenizer.json');
    await fs.writeFile(file, JSON.stringify(wordLevelJson()));
    const t = loadHfTokenizer(await fs.readFile(file, 'utf8'), {}, file);
    expect(specials(t)).toEqual([0, 1, 2, 3]);
    expect(t.vocabSize).toBe(8);
    expect(t.encode('The cat sat on the mat.')).toEqual([4, 5, 6, 3, 4, 3, 7]);
    expect(t.decode([1, 4, 5, 6, 2, 0])).toBe('the cat sat');
    // a model directory: tokenizer.json plus tokenizer_config.json naming the special tokens
    await fs.writeFile(path.join(dir, 'tokenizer_config.json'), JSON.stringify({ eos_token: '.' }));
    expect((await loadHfTokenizerFromDir(dir)).eosId).toBe(7);
    await fs.writeFile(path.join(dir, 'tokenizer_config.json'), '{oops');
    await expect(loadHfTokenizerFromDir(dir)).rejects.toThrow(/tokenizer_config.json: not readable JSON/);
    await expect(loadHfTokenizerFromDir(path.join(dir, 'nope'))).rejects.toThrow(/needs a tokenizer.json/);
    await fs.rm(dir, { recursive: true });
  });

  it('loads a BPE tokenizer.json with merges and round-trips text', () => {
    const t = loadHfTokenizer(bpeJson());
    expect(t.encode('abc ab cab')).toEqual([11, 10, 4, 7, 9]);
    expect(t.decode(t.encode('abc ab cab'))).toBe('abc ab cab');
    expect(t.vocabSize).toBe(13);
    const again = tokenizerFromSpec(JSON.parse(JSON.stringify(t.toJSON())));
    expect(again.encode('cab')).toEqual(t.encode('cab'));
  });

  it('takes special tokens from tokenizer_config.json, and explains what is missing', () => {
    const json = wordLevelJson();
    const t = loadHfTokenizer(json, { eos_token: '.', bos_token: { content: 'the' } });
    expect(t.eosId).toBe(7);
    expect(t.bosId).toBe(4);
    expect(t.padId).toBe(0);
    const noEos = { ...json, added_tokens: [], model: { ...json.model, vocab: { a: 0, b: 1 }, unk_token: undefined } };
    expect(() => loadHfTokenizer(noEos)).toThrow(/no end-of-sequence token found; set eos_token/);
    expect(() => loadHfTokenizer('{nope', {}, 'my/tokenizer.json')).toThrow(/my\/tokenizer.json: not JSON/);
    expect(() => loadHfTokenizer({ version: '1.0' })).toThrow(/has no "model" object/);
    expect(() => loadHfTokenizer(json).decode([99])).toThrow(/outside the vocabulary \[0, 8\)/);
  });
});
