"""Stage data: an ERM data set with pairwise-distinct inputs, and its conflicting-label variant
(the control data set: one input repeated with labels that no network can fit)."""

from adam_ode.erm import conflicting_labels, make_dataset
from replication.store import Stage, save_arrays, seed_for

stage = Stage(snakemake.params.stage, snakemake.log[0])
p = stage.params
x, y = make_dataset(p["n"], p["input_dim"], seed_for(p["seed"], "data"), target=p["target"])
xc, yc = conflicting_labels(x, y, p["conflicting_label"])
save_arrays(stage.output("dataset.npz"), x=x.numpy(), y=y.numpy(), x_conflicting=xc.numpy(), y_conflicting=yc.numpy())
stage.log(f"N={p['n']} input_dim={p['input_dim']} target={p['target']}")
stage.finish()
