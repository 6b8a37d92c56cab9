"""Writes test/fixtures/optax-stages.json: reference cases for inertia's schedules and stages,
computed with Optax itself (float32, as JAX computes by default).

- schedules: a schedule as inertia takes it (JSON), and Optax's value at many steps.
- stages: a chain as `inertia train --optimizer-spec` takes it (a list of stage configs), the
  parameters before the first step, the gradient fed at each step (open loop: gradients do not
  depend on the parameters) and every parameter after each step, from
  `optax.apply_updates(params, tx.update(grads, state, params))`.

The same JSON drives both sides: `to_optax` maps each inertia stage config to the Optax
transformation it stands for. The tests read the file only; Python is needed to regenerate it:

    python3 -m venv /tmp/optax-venv && /tmp/optax-venv/bin/pip install optax jax jaxlib
    /tmp/optax-venv/bin/python scripts/reference/optax_stages.py
"""

import json
import pathlib

import jax
import jax.numpy as jnp
import numpy as np
import optax

OUT = pathlib.Path(__file__).resolve().parents[2] / "test" / "fixtures" / "optax-stages.json"


def schedule(value):
    """An inertia learning rate (number, { values, boundaries } or { schedule, ... }) as Optax's."""
    if isinstance(value, (int, float)):
        return value
    if "values" in value:
        values, boundaries = value["values"], value["boundaries"]
        scales = {b: values[i + 1] / values[i] for i, b in enumerate(boundaries)}
        return optax.piecewise_constant_schedule(values[0], scales)
    name = value["schedule"]
    if name == "cosine-decay":
        return optax.cosine_decay_schedule(
            value["initValue"], value["decaySteps"], value.get("alpha", 0.0), value.get("exponent", 1.0)
        )
    if name == "linear":
        return optax.linear_schedule(
            value["initValue"], value["endValue"], value["transitionSteps"], value.get("transitionBegin", 0)
        )
    if name == "warmup-cosine":
        return optax.warmup_cosine_decay_schedule(
            value.get("initValue", 0.0),
            value["peakValue"],
            value["warmupSteps"],
            value["decaySteps"],
            value.get("endValue", 0.0),
            value.get("exponent", 1.0),
        )
    if name == "exponential-decay":
        return optax.exponential_decay(
            value["initValue"],
            value["transitionSteps"],
            value["decayRate"],
            value.get("transitionBegin", 0),
            value.get("staircase", False),
            value.get("endValue"),
        )
    raise ValueError(f"unknown schedule {name}")


def to_optax(config):
    """The Optax transformation an inertia stage config stands for."""
    name = config["name"]
    if name == "chain":
        return optax.chain(*[to_optax(stage) for stage in config["stages"]])
    if name == "trace":
        return optax.trace(decay=config["momentum"], nesterov=config.get("nesterov", False))
    if name == "scaleByLearningRate":
        return optax.scale_by_learning_rate(schedule(config["learningRate"]))
    if name == "scaleByAdam":
        return optax.scale_by_adam(
            b1=config.get("beta1", 0.9), b2=config.get("beta2", 0.999), eps=config.get("epsilon", 1e-8)
        )
    if name == "addDecayedWeights":
        return optax.add_decayed_weights(schedule(config["weightDecay"]))
    if name == "clip":
        return optax.clip(config["maxDelta"])
    if name == "clipByGlobalNorm":
        return optax.clip_by_global_norm(config["maxNorm"])
    if name == "multiSteps":
        return optax.MultiSteps(to_optax(config["inner"]), every_k_schedule=config["everyK"]).gradient_transformation()
    raise ValueError(f"no Optax counterpart for stage {name}")


SCHEDULES = [
    {"schedule": "cosine-decay", "initValue": 0.1, "decaySteps": 50},
    {"schedule": "cosine-decay", "initValue": 0.5, "decaySteps": 40, "alpha": 0.1, "exponent": 2.0},
    {"schedule": "linear", "initValue": 0.0, "endValue": 0.1, "transitionSteps": 20},
    {"schedule": "linear", "initValue": 0.2, "endValue": 0.01, "transitionSteps": 30, "transitionBegin": 10},
    {"schedule": "warmup-cosine", "peakValue": 0.1, "warmupSteps": 10, "decaySteps": 60},
    {
        "schedule": "warmup-cosine",
        "initValue": 0.01,
        "peakValue": 0.3,
        "warmupSteps": 5,
        "decaySteps": 45,
        "endValue": 0.003,
        "exponent": 1.5,
    },
    {"schedule": "warmup-cosine", "peakValue": 0.1, "warmupSteps": 0, "decaySteps": 30},
    {"schedule": "exponential-decay", "initValue": 0.1, "transitionSteps": 10, "decayRate": 0.5},
    {"schedule": "exponential-decay", "initValue": 0.1, "transitionSteps": 10, "decayRate": 0.5, "staircase": True},
    {
        "schedule": "exponential-decay",
        "initValue": 0.1,
        "transitionSteps": 7,
        "decayRate": 0.8,
        "transitionBegin": 5,
        "endValue": 0.03,
    },
    {"schedule": "exponential-decay", "initValue": 0.01, "transitionSteps": 10, "decayRate": 1.5, "endValue": 0.05},
    {"values": [0.1, 0.05, 0.01], "boundaries": [10, 25]},
]

LR = 0.1
STAGES = [
    ("decoupled weight decay", [{"name": "addDecayedWeights", "weightDecay": 0.1}, {"name": "scaleByLearningRate", "learningRate": LR}], 1.0),
    (
        "adamw (optax.adamw)",
        [{"name": "scaleByAdam"}, {"name": "addDecayedWeights", "weightDecay": 0.05}, {"name": "scaleByLearningRate", "learningRate": 0.01}],
        1.0,
    ),
    (
        "scheduled weight decay",
        [
            {"name": "trace", "momentum": 0.9},
            {"name": "addDecayedWeights", "weightDecay": {"schedule": "linear", "initValue": 0.2, "endValue": 0.0, "transitionSteps": 8}},
            {"name": "scaleByLearningRate", "learningRate": LR},
        ],
        1.0,
    ),
    ("clip", [{"name": "clip", "maxDelta": 0.3}, {"name": "scaleByLearningRate", "learningRate": LR}], 2.0),
    (
        "clip by global norm",
        [{"name": "clipByGlobalNorm", "maxNorm": 1.0}, {"name": "trace", "momentum": 0.9}, {"name": "scaleByLearningRate", "learningRate": LR}],
        None,
    ),
    (
        "cosine-decay learning rate",
        [{"name": "trace", "momentum": 0.9}, {"name": "scaleByLearningRate", "learningRate": {"schedule": "cosine-decay", "initValue": 0.1, "decaySteps": 10}}],
        1.0,
    ),
    (
        "warmup-cosine adam",
        [
            {"name": "scaleByAdam"},
            {"name": "scaleByLearningRate", "learningRate": {"schedule": "warmup-cosine", "peakValue": 0.05, "warmupSteps": 4, "decaySteps": 12}},
        ],
        1.0,
    ),
    (
        "step-decay heavy ball",
        [
            {"name": "trace", "momentum": 0.5, "nesterov": True},
            {"name": "scaleByLearningRate", "learningRate": {"schedule": "exponential-decay", "initValue": 0.1, "transitionSteps": 5, "decayRate": 0.5, "staircase": True}},
        ],
        1.0,
    ),
    (
        "multi steps (k=3) heavy ball",
        [{"name": "multiSteps", "everyK": 3, "inner": {"name": "chain", "stages": [{"name": "trace", "momentum": 0.9}, {"name": "scaleByLearningRate", "learningRate": LR}]}}],
        1.0,
    ),
    (
        "multi steps (k=2) adam with warmup",
        [
            {
                "name": "multiSteps",
                "everyK": 2,
                "inner": {
                    "name": "chain",
                    "stages": [
                        {"name": "scaleByAdam"},
                        {"name": "scaleByLearningRate", "learningRate": {"schedule": "linear", "initValue": 0.0, "endValue": 0.05, "transitionSteps": 3}},
                    ],
                },
            }
        ],
        1.0,
    ),
    (
        "multi steps (k=4) over global-norm clipping",
        [
            {"name": "multiSteps", "everyK": 4, "inner": {"name": "chain", "stages": [{"name": "clipByGlobalNorm", "maxNorm": 0.5}, {"name": "scaleByLearningRate", "learningRate": LR}]}},
        ],
        None,
    ),
    (
        "clip, then multi steps (k=1), then weight decay",
        [
            {"name": "clip", "maxDelta": 0.5},
            {"name": "multiSteps", "everyK": 1, "inner": {"name": "trace", "momentum": 0.8}},
            {"name": "addDecayedWeights", "weightDecay": 0.01},
            {"name": "scaleByLearningRate", "learningRate": LR},
        ],
        2.0,
    ),
]


def f32(tree):
    return jax.tree.map(lambda x: np.asarray(x, dtype=np.float32).tolist(), tree)


def stage_case(label, stages, gradient_scale, seed, steps=16):
    rng = np.random.default_rng(seed)
    params = {
        "w": jnp.asarray(rng.standard_normal((3, 2)), jnp.float32),
        "b": jnp.asarray(rng.standard_normal(2), jnp.float32),
    }
    gradients = []
    for t in range(steps):
        # None: a scale per step from 0.1 to 3, so the global norm is sometimes below the limit.
        scale = gradient_scale if gradient_scale is not None else float(rng.uniform(0.1, 3.0))
        gradients.append(
            {
                "w": jnp.asarray(scale * rng.standard_normal((3, 2)), jnp.float32),
                "b": jnp.asarray(scale * rng.standard_normal(2), jnp.float32),
            }
        )
    tx = to_optax({"name": "chain", "stages": stages})
    state = tx.init(params)
    initial = f32(params)
    trajectory = []
    for g in gradients:
        updates, state = tx.update(g, state, params)
        params = optax.apply_updates(params, updates)
        trajectory.append(f32(params))
    return {
        "label": label,
        "stages": stages,
        "seed": seed,
        "steps": steps,
        "initial": initial,
        "gradients": [f32(g) for g in gradients],
        "trajectory": trajectory,
    }


def main():
    schedule_cases = []
    for config in SCHEDULES:
        fn = schedule(config)
        steps = list(range(0, 81))
        values = [float(np.float32(fn(jnp.asarray(step, jnp.int32)))) for step in steps]
        schedule_cases.append({"schedule": config, "steps": steps, "values": values})
    stage_cases = [stage_case(label, stages, scale, seed=10 + i) for i, (label, stages, scale) in enumerate(STAGES)]
    document = {
        "generator": f"optax {optax.__version__} (jax {jax.__version__}, float32); scripts/reference/optax_stages.py",
        "schedules": schedule_cases,
        "stages": stage_cases,
    }
    OUT.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n")
    print(f"wrote {OUT}: {len(schedule_cases)} schedules, {len(stage_cases)} stage chains")


if __name__ == "__main__":
    main()
