/**
 * Checks a Slack message against Block Kit's documented limits
 * (https://api.slack.com/reference/block-kit/blocks), independently of src/notify's own constants:
 * the list of problems is empty for a message Slack accepts.
 */
const ALLOWED_BLOCKS = new Set(['header', 'section', 'context', 'divider', 'actions', 'image', 'rich_text']);

interface Text {
  type: string;
  text: string;
}

export function blockKitProblems(message: { text?: unknown; blocks?: unknown }): string[] {
  const problems: string[] = [];
  if (typeof message.text !== 'string' || message.text.length === 0) problems.push('text: a non-empty fallback is required');
  else if (message.text.length > 3000) problems.push(`text: ${message.text.length} characters, keep the fallback within 3000`);
  if (!Array.isArray(message.blocks)) return [...problems, 'blocks: not an array'];
  if (message.blocks.length > 50) problems.push(`blocks: ${message.blocks.length}, at most 50`);
  message.blocks.forEach((block: Record<string, unknown>, i: number) => {
    const at = `blocks[${i}] (${String(block.type)})`;
    if (!ALLOWED_BLOCKS.has(String(block.type))) problems.push(`${at}: unknown block type`);
    const text = block.text as Text | undefined;
    const checkText = (t: Text | undefined, where: string, max: number, type?: string) => {
      if (!t) return;
      if (t.type !== 'plain_text' && t.type !== 'mrkdwn') problems.push(`${where}: text type ${t.type}`);
      if (type && t.type !== type) problems.push(`${where}: must be ${type}`);
      if (typeof t.text !== 'string' || t.text.length < 1) problems.push(`${where}: empty text`);
      else if (t.text.length > max) problems.push(`${where}: ${t.text.length} characters, at most ${max}`);
      if (/[\uD800-\uDBFF]$/.test(t.text ?? '')) problems.push(`${where}: ends in half a surrogate pair`);
    };
    if (block.type === 'header') checkText(text, `${at}.text`, 150, 'plain_text');
    if (block.type === 'section') {
      const fields = block.fields as Text[] | undefined;
      if (!text && !fields) problems.push(`${at}: needs text or fields`);
      checkText(text, `${at}.text`, 3000);
      if (fields !== undefined) {
        if (fields.length < 1 || fields.length > 10) problems.push(`${at}.fields: ${fields.length}, 1 to 10`);
        fields.forEach((f, k) => checkText(f, `${at}.fields[${k}]`, 2000));
      }
    }
    if (block.type === 'context') {
      const elements = block.elements as Text[];
      if (!Array.isArray(elements) || elements.length < 1 || elements.length > 10) problems.push(`${at}.elements: 1 to 10`);
      else elements.forEach((e, k) => checkText(e, `${at}.elements[${k}]`, 3000));
    }
  });
  return problems;
}

/** Every text of a message, for checking what it says. */
export function allText(message: { text: string; blocks: unknown[] }): string {
  return [message.text, JSON.stringify(message.blocks)].join('\n');
}
