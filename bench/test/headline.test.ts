import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { HEADLINE_END, HEADLINE_START, renderHeadline, withHeadline } from "../src/headline.ts";
import { DEFAULT_RESULTS, type ResultsDocument, ROOT_README } from "../src/readme.ts";

// The front page quotes bench/results.json, never numbers typed by hand: its headline block is
// exactly what the results render to (`pnpm --filter @converge/bench run report` rewrites it).

const doc = JSON.parse(readFileSync(DEFAULT_RESULTS, "utf8")) as ResultsDocument;

describe("the README's headline tables", () => {
  it("are exactly what bench/results.json renders to", () => {
    const readme = readFileSync(ROOT_README, "utf8");
    const start = readme.indexOf(HEADLINE_START);
    const end = readme.indexOf(HEADLINE_END);
    expect(start, "README.md has the headline markers").toBeGreaterThanOrEqual(0);
    expect(readme.slice(start, end + HEADLINE_END.length)).toBe(renderHeadline(doc));
  });

  it("date every row with the section it comes from, and count the goals met", () => {
    const block = renderHeadline(doc);
    const rows = block.split("\n").filter((l) => l.startsWith("| ") && !l.startsWith("| ---"));
    const dated = rows.filter((l) => /\| \d{4}-\d\d-\d\d \d\d:\d\d \|$/.test(l));
    expect(dated.length).toBe(rows.length - 3); // all but the three header rows
    const met = doc.targets.filter((t) => t.met === true).length;
    expect(block).toContain(`**${met} of ${doc.targets.filter((t) => t.met !== null).length}**`);
  });

  it("replacing the block keeps the rest of the page and refuses a page without markers", () => {
    const page = `before\n${HEADLINE_START}\nold\n${HEADLINE_END}\nafter`;
    expect(withHeadline(page, `${HEADLINE_START}\nnew\n${HEADLINE_END}`)).toBe(
      `before\n${HEADLINE_START}\nnew\n${HEADLINE_END}\nafter`,
    );
    expect(() => withHeadline("no markers", "x")).toThrow(/markers/);
  });
});
