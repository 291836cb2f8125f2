import { DefaultPayloadConverter } from '@temporalio/common';
import { NonFiniteJsonCodec, quoteNonFiniteTokens } from '../../workers/json-non-finite';

describe('payloads with Python\'s bare NaN', () => {
  it('quotes bare NaN and infinities outside strings, and leaves strings and valid JSON alone', () => {
    expect(quoteNonFiniteTokens('{"rewards":[{"id":"a","reward":NaN},{"id":"NaN \\"x","reward":-Infinity}]}'))
      .toBe('{"rewards":[{"id":"a","reward":"NaN"},{"id":"NaN \\"x","reward":"-Infinity"}]}');
    expect(quoteNonFiniteTokens('{"id":"NaN","r":1}')).toBeUndefined();
  });

  it('decodes a Python-written payload into a value that carries "NaN", and keeps valid payloads byte for byte', async () => {
    const converter = new DefaultPayloadConverter();
    const python = { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('{"rewards":[{"id":"a","reward":NaN}]}') };
    const [decoded] = await new NonFiniteJsonCodec().decode([python]);
    expect(converter.fromPayload(decoded)).toEqual({ rewards: [{ id: 'a', reward: 'NaN' }] });
    const valid = converter.toPayload({ note: 'NaN is fine in a string', x: 1 });
    const [same] = await new NonFiniteJsonCodec().decode([valid]);
    expect(same).toBe(valid);
  });
});
