"""Stage data: an ERM data set with pairwise-distinct inputs, and its conflicting-label variant
(the control data set: one input repeated with labels that no network can fit)."""

from adam_ode.erm import conflicting_labels, make_dataset
from replication.store import Stage, run_stage, save_arrays, seed_for


def main(stage: Stage) -> None:
    p = stage.params
    x, y = make_dataset(p["n"], p["input_dim"], seed_for(p["seed"], "data"), target=p["target"])
    xc, yc = conflicting_labels(x, y, p["conflicting_label"])
    save_arrays(stage.output("dataset.npz"), x=x.numpy(), y=y.numpy(), x_conflicting=xc.numpy(),
                y_conflicting=yc.numpy())
    stage.log(f"N={p['n']} input_dim={p['input_dim']} target={p['target']}")


if __name__ == "__main__":
    run_stage(main, snakemake)  # noqa: F821 (Snakemake's script global)
