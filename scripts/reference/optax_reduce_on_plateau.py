"""Writes test/fixtures/optax-reduce-on-plateau.json: reference trajectories of
`optax.contrib.reduce_on_plateau` chained after plain SGD, computed with Optax itself (float32).

Each case: the stage's settings (inertia's field names), a sequence of loss values fed to the
stage (chosen to improve, stall, improve by less than the tolerances and stall again), the
gradients (open loop), and after each step the parameters and the stage's state (scale, best
value, plateau count, cooldown count, count, average value). The tests read the file only;
Python is needed to regenerate it:

    python3 -m venv /tmp/optax-venv && /tmp/optax-venv/bin/pip install optax jax jaxlib
    /tmp/optax-venv/bin/python scripts/reference/optax_reduce_on_plateau.py
"""

import json
import pathlib

import jax.numpy as jnp
import numpy as np
import optax
import optax.contrib

OUT = pathlib.Path(__file__).resolve().parents[2] / "test" / "fixtures" / "optax-reduce-on-plateau.json"

LEARNING_RATE = 0.1
STEPS = 40

CASES = [
    {"name": "defaults-short-patience", "stage": {"factor": 0.5, "patience": 2}},
    {"name": "cooldown-and-floor", "stage": {"factor": 0.5, "patience": 2, "cooldown": 3, "minScale": 0.2}},
    {"name": "accumulated", "stage": {"factor": 0.3, "patience": 1, "accumulationSize": 3}},
    {"name": "absolute-tolerance", "stage": {"factor": 0.5, "patience": 2, "rtol": 0.0, "atol": 0.05}},
    {"name": "relative-tolerance", "stage": {"factor": 0.25, "patience": 3, "rtol": 0.1, "cooldown": 1}},
]


def losses():
    """A loss that falls, stalls, falls by little, rises and falls again (float32-representable)."""
    values = []
    value = 1.0
    for step in range(STEPS):
        phase = step // 8
        if phase in (0, 3):
            value *= 0.9
        elif phase == 1:
            value *= 1.0 + (0.02 if step % 2 else -0.01)
        elif phase == 2:
            value *= 0.99
        else:
            value *= 1.01
        values.append(float(np.float32(value)))
    return values


def gradients(step):
    rng = np.random.default_rng(1000 + step)
    return {"w": rng.standard_normal((3, 2)).astype(np.float32), "b": rng.standard_normal(2).astype(np.float32)}


def optax_stage(settings):
    return optax.contrib.reduce_on_plateau(
        factor=settings.get("factor", 0.1),
        patience=settings.get("patience", 10),
        rtol=settings.get("rtol", 1e-4),
        atol=settings.get("atol", 0.0),
        cooldown=settings.get("cooldown", 0),
        accumulation_size=settings.get("accumulationSize", 1),
        min_scale=settings.get("minScale", 0.0),
    )


def run(case, values):
    tx = optax.chain(optax.sgd(LEARNING_RATE), optax_stage(case["stage"]))
    params = {"w": jnp.asarray(np.linspace(-1, 1, 6, dtype=np.float32).reshape(3, 2)), "b": jnp.zeros(2, jnp.float32)}
    initial = {name: np.asarray(p).tolist() for name, p in params.items()}
    state = tx.init(params)
    steps = []
    for step, value in enumerate(values):
        grads = {name: jnp.asarray(g) for name, g in gradients(step).items()}
        updates, state = tx.update(grads, state, params, value=jnp.float32(value))
        params = optax.apply_updates(params, updates)
        plateau = state[1]
        steps.append(
            {
                "params": {name: np.asarray(p).tolist() for name, p in params.items()},
                "state": {
                    "scale": float(plateau.scale),
                    # JSON has no infinity: the best value before the first evaluation is written as a string.
                    "bestValue": float(plateau.best_value) if np.isfinite(plateau.best_value) else "Infinity",
                    "plateauCount": int(plateau.plateau_count),
                    "cooldownCount": int(plateau.cooldown_count),
                    "count": int(plateau.count),
                    "averageValue": float(plateau.avg_value),
                },
            }
        )
    return {
        "name": case["name"],
        "stages": [
            {"name": "scaleByLearningRate", "learningRate": LEARNING_RATE},
            {"name": "reduceOnPlateau", **case["stage"]},
        ],
        "initial": initial,
        "losses": values,
        "steps": steps,
    }


def main():
    values = losses()
    document = {
        "optax": optax.__version__,
        "note": "optax.chain(optax.sgd(0.1), optax.contrib.reduce_on_plateau(...)) in float32; at step t the gradients are gradients[t] and the value losses[t]",
        "gradients": [{name: g.tolist() for name, g in gradients(step).items()} for step in range(STEPS)],
        "cases": [run(case, values) for case in CASES],
    }
    OUT.write_text(json.dumps(document, indent=1) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
