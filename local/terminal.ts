// Colour only on a terminal that wants it (NO_COLOR, https://no-color.org).
const enabled = process.stdout.isTTY === true && !process.env.NO_COLOR;
const wrap = (open: number, close: number) => (text: string) =>
  enabled ? `\u001b[${open}m${text}\u001b[${close}m` : text;

export const paint = {
  bold: wrap(1, 22),
  dim: wrap(2, 22),
  red: wrap(31, 39),
  yellow: wrap(33, 39),
  cyan: wrap(36, 39),
};
