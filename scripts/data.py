"""Stage data: an ERM data set with pairwise-distinct inputs."""

from adam_ode.erm import make_dataset
from replication.store import Stage, save_arrays, seed_for

stage = Stage(snakemake.params.stage, snakemake.log[0])
p = stage.params
x, y = make_dataset(p["n"], p["input_dim"], seed_for(p["seed"], "data"), target=p["target"])
save_arrays(stage.output("dataset.npz"), x=x.numpy(), y=y.numpy())
stage.log(f"N={p['n']} input_dim={p['input_dim']} target={p['target']}")
stage.finish()
