// The layer table and the summary() text.
import type { SavableModel } from "kerastore";

function shapes(layer: SavableModel["layers"][number]): string {
  const weights = (layer as unknown as { weights?: { shape?: readonly number[] }[] }).weights ?? [];
  return weights.map((w) => (w.shape ?? []).join("×")).join(", ");
}

export function showLayers(model: SavableModel, body: HTMLTableSectionElement, pre: HTMLElement): void {
  body.replaceChildren(
    ...model.layers.map((layer, i) => {
      const tr = document.createElement("tr");
      const cells = [
        String(i),
        layer.name,
        layer.className,
        shapes(layer) || "—",
        layer.countParams().toLocaleString("en"),
      ];
      cells.forEach((text, c) => {
        const td = document.createElement("td");
        td.textContent = text;
        if (c === 4) td.className = "num";
        if (c === 2) td.innerHTML = `<span class="tag">${text}</span>`;
        tr.append(td);
      });
      return tr;
    }),
  );
  pre.textContent = model.summary({ lineLength: 78, print: () => {} });
}
