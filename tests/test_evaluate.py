"""`run.py --eval`: play a saved run's network, print its scores, record the first episode; bad input."""

from __future__ import annotations

import io
import json
import re
import signal
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from PIL import Image

from conftest import finish, start_cli
from envs.atari import make_atari_env
from evaluate import EvalError, RunInfo, load_run_info
from evaluate.recording import GifRecorder, check_record_path
from models import Categorical, build_model
from rundir import update_latest_link

EPISODE_LINE = re.compile(r"^episode +(\d+): score (-?[\d.]+) \(([\d,]+) steps\)$")
MEAN_LINE = re.compile(r"^mean score (-?[\d.]+) \| std ([\d.]+) \| min .* \| max .* \| (\d+) episodes?$")


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A short CartPole run and a tiny Breakout CNN-LSTM run, trained side by side."""
    cwd = tmp_path_factory.mktemp("eval")
    procs = {
        "cartpole": start_cli(
            ["--game", "CartPole-v1", "--max-steps", 3000, "--workers", 2, "--runs-dir", "runs-cartpole"], cwd
        ),
        "breakout": start_cli(
            [
                "--game",
                "Breakout",
                "--cnn-lstm",
                "--workers",
                1,
                "--envs-per-worker",
                1,
                "--max-steps",
                200,
                "--runs-dir",
                "runs-breakout",
            ],
            cwd,
        ),
    }
    dirs = {}
    for name, proc in procs.items():
        result = finish(proc, timeout=300)
        assert result.returncode == 0, f"{name}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        (dirs[name],) = [p for p in (cwd / f"runs-{name}").iterdir() if p.name != "latest"]
    update_latest_link(dirs["cartpole"])  # what the trainer does when it creates a run
    return cwd, dirs


@pytest.fixture(scope="module")
def evals(trained):
    """The evaluations a user would type, through the command line, run side by side."""
    cwd, dirs = trained
    cases = {
        "cartpole": ["--eval", "runs-cartpole/latest", "--episodes", 3, "--record", "cartpole.gif", "--seed", 1],
        "breakout": ["--eval", dirs["breakout"], "--episodes", 1, "--record", "breakout.gif"],
    }
    procs = {name: start_cli(args, cwd) for name, args in cases.items()}
    return cwd, {name: finish(proc, timeout=300) for name, proc in procs.items()}


def check_scores(stdout: str, episodes: int) -> list[tuple[float, int]]:
    lines = stdout.splitlines()
    assert lines[0].startswith("evaluating "), stdout
    scores = [(float(m[2]), int(m[3].replace(",", ""))) for m in map(EPISODE_LINE.match, lines) if m]
    assert len(scores) == episodes, stdout
    (mean,) = [m for m in map(MEAN_LINE.match, lines) if m]
    assert float(mean[1]) == pytest.approx(np.mean([s for s, _ in scores]), abs=0.05)
    assert int(mean[3]) == episodes
    return scores


def gif_frames(path: Path) -> list[Image.Image]:
    with Image.open(path) as gif:
        assert gif.format == "GIF"
        frames = []
        for i in range(gif.n_frames):
            gif.seek(i)
            frames.append(gif.convert("RGB"))
    return frames


@pytest.mark.e2e
def test_cartpole_eval_via_latest_prints_scores_and_records_a_gif(evals, trained):
    cwd, results = evals
    result = results["cartpole"]
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert "Traceback" not in result.stderr
    assert trained[1]["cartpole"].name in result.stdout.splitlines()[0]  # latest led to the real run
    scores = check_scores(result.stdout, 3)
    assert all(score == length and 1 <= length <= 500 for score, length in scores)  # CartPole pays 1 per step
    frames = gif_frames(cwd / "cartpole.gif")
    assert len(frames) > 1
    assert frames[0].size == (600, 400)
    assert f"wrote cartpole.gif: episode 1 ({scores[0][1]} steps)" in result.stdout


@pytest.mark.e2e
def test_breakout_cnn_lstm_eval_records_full_colour_frames(evals):
    cwd, results = evals
    result = results["breakout"]
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert "Traceback" not in result.stderr
    assert "CNNLSTMActorCritic" in result.stdout.splitlines()[0]
    ((score, length),) = check_scores(result.stdout, 1)
    assert score >= 0 and length > 1
    frames = gif_frames(cwd / "breakout.gif")
    assert len(frames) > 1
    assert frames[0].size == (160, 210)  # the emulator's screen, not the 84x84 grayscale the network sees
    rgb = np.asarray(frames[len(frames) // 2]).astype(int)
    assert (np.abs(rgb[..., 0] - rgb[..., 1]) > 10).any()  # colour, not gray


@pytest.mark.e2e
def test_same_seed_same_scores_and_greedy_play(trained):
    from evaluate.player import evaluate_run

    info = load_run_info(trained[1]["cartpole"])
    runs = [evaluate_run(info, episodes=2, greedy=False, seed=5, stream=io.StringIO()) for _ in range(2)]
    assert runs[0] == runs[1]
    greedy = [evaluate_run(info, episodes=1, greedy=True, seed=s, stream=io.StringIO()) for s in (0, 0)]
    assert greedy[0] == greedy[1]


# --- bad input, in-process through run.main ------------------------------------------------------------


@pytest.fixture
def cli(monkeypatch, tmp_path, capsys):
    import run

    monkeypatch.setattr(signal, "signal", lambda *args: None)
    monkeypatch.chdir(tmp_path)

    def call(*args):
        code = run.main([str(a) for a in args])
        return code, capsys.readouterr()

    return call


def fake_run(tmp_path, name="CartPole-v1-x", config=True, checkpoint=True):
    run_dir = tmp_path / "runs" / name
    run_dir.mkdir(parents=True)
    if config:
        (run_dir / "config.json").write_text(
            json.dumps(
                {
                    "config": {"game": "CartPole-v1", "cnn_lstm": False},
                    "network": "MLPActorCritic",
                    "observation_shape": [4],
                }
            )
        )
    if checkpoint:
        (run_dir / "checkpoint").mkdir()
        (run_dir / "checkpoint" / "checkpoint.npz").write_bytes(b"not a zip")
    return run_dir


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() if p.is_file() else b"<dir>" for p in sorted(root.rglob("*"))}


@pytest.mark.parametrize(
    "case, args, phrase",
    [
        ("missing-dir", ["--eval", "runs/nowhere"], "no run directory"),
        ("no-config", ["--eval", "runs/CartPole-v1-x"], "holds no run (no config.json)"),
        ("no-checkpoint", ["--eval", "runs/CartPole-v1-x"], "no checkpoint"),
        ("foreign-config", ["--eval", "runs/CartPole-v1-x"], "not a run's config (it needs config.game and"),
        ("episodes-0", ["--eval", "runs/CartPole-v1-x", "--episodes", "0"], "--episodes"),
        ("episodes-not-a-number", ["--eval", "runs/CartPole-v1-x", "--episodes", "ten"], "ten"),
        ("record-avi", ["--eval", "runs/CartPole-v1-x", "--record", "x.avi"], ".gif or .mp4"),
        ("record-in-missing-dir", ["--eval", "runs/CartPole-v1-x", "--record", "nowhere/x.gif"], "does not exist"),
        ("episodes-without-eval", ["--plot", "runs/CartPole-v1-x", "--episodes", "3"], "only with --eval"),
        ("record-every-without-record", ["--eval", "runs/CartPole-v1-x", "--record-every", "2"], "--record"),
        ("dangling-latest", ["--eval", "runs/latest"], "does not exist"),
        ("damaged-checkpoint", ["--eval", "runs/CartPole-v1-x", "--episodes", "1"], "cannot read checkpoint"),
    ],
)
def test_bad_eval_input_is_one_error_line(cli, tmp_path, case, args, phrase):
    run_dir = fake_run(tmp_path, config=case != "no-config", checkpoint=case != "no-checkpoint")
    if case == "foreign-config":
        (run_dir / "config.json").write_text('{"name": "something else"}')
    if case == "dangling-latest":
        update_latest_link(tmp_path / "runs" / "gone")  # points at a run that is not there
    before = snapshot(tmp_path)
    code, out = cli(*args)
    assert code == 2, out
    lines = out.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and phrase in lines[0], out.err
    assert out.out == ""
    assert snapshot(tmp_path) == before  # nothing written


def test_mp4_without_imageio_is_a_clear_error(cli, tmp_path, monkeypatch):
    import evaluate.recording

    monkeypatch.setattr(evaluate.recording, "mp4_available", lambda: False)
    fake_run(tmp_path)
    code, out = cli("--eval", "runs/CartPole-v1-x", "--record", "x.mp4")
    assert code == 2 and "imageio" in out.err and len(out.err.splitlines()) == 1
    assert not (tmp_path / "x.mp4").exists()


def test_check_record_path(tmp_path):
    assert check_record_path(tmp_path / "a.GIF") == tmp_path / "a.GIF"
    for bad in ("a.png", "a", "missing/a.gif"):
        with pytest.raises(EvalError):
            check_record_path(tmp_path / bad)


def test_help_shows_the_same_frame_cap_the_recorder_keeps():
    import run
    from evaluate.recording import MAX_FRAMES

    assert run.EVAL_MAX_FRAMES == MAX_FRAMES


# --- pieces -------------------------------------------------------------------------------------------


def test_recorder_caps_subsamples_and_scales(tmp_path):
    rec = GifRecorder(tmp_path / "r.gif", fps=50, every=2, scale=0.5, max_frames=10)
    rendered = []
    for i in range(40):
        rec.offer(lambda i=i: rendered.append(i) or np.full((20, 30, 3), i * 6, np.uint8))
    assert rendered == list(range(0, 20, 2))  # only kept frames are rendered; the rest never are
    assert rec.frames == 10 and rec.capped
    rec.close()
    frames = gif_frames(tmp_path / "r.gif")
    assert frames[0].size == (15, 10)
    assert len(frames) == 10
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.gif"]  # no temporary left


def test_lstm_agent_carries_the_state_it_is_given_and_starts_episodes_from_zeros():
    from evaluate.agent import Agent

    model = build_model("cnn_lstm", (84, 84), Categorical(4))
    agent = Agent(model, (84, 84))
    frame = np.random.default_rng(0).integers(0, 256, (84, 84), dtype=np.uint8)
    first, state = model.step(frame[None], model.initial_state(1))[0].numpy(), None
    action, state = agent.act(frame, None)
    assert [s.shape for s in state] == [(1, 256), (1, 256)] and np.abs(state[0]).sum() > 0
    carried = model.step(frame[None], state)[0].numpy()
    assert not np.allclose(first, carried, atol=1e-7)  # the LSTM remembered the first step
    assert action == int(np.argmax(first))  # greedy by default: the mode of the first step's distribution
    _, fresh = agent.act(frame, None)  # None: an episode starts here, from zeros again
    np.testing.assert_allclose(fresh[0], state[0], atol=1e-6)


def test_greedy_play_takes_the_distributions_mode_and_sampling_draws_from_it():
    from envs import resolve_game
    from evaluate.player import SavedPolicy, build_agent

    model = build_model("mlp", (4,), Categorical(2))
    head = model.policy_head
    head.set_weights([np.zeros_like(head.kernel.numpy()), np.array([0.0, 1.0], np.float32)])  # pi = (0.27, 0.73)
    info = RunInfo(Path("run"), "CartPole-v1", False, "MLPActorCritic", (4,), None)
    agent = build_agent(info, resolve_game("CartPole-v1"), SavedPolicy(model.get_weights(), None, None))
    obs, rng = np.zeros(4, np.float32), np.random.default_rng(0)
    assert {int(agent.act(obs, greedy=True, rng=rng)[0]) for _ in range(20)} == {1}
    sampled = [int(agent.act(obs, greedy=False, rng=rng)[0]) for _ in range(4000)]
    assert np.mean(sampled) == pytest.approx(1 / (1 + np.exp(-1.0)), abs=0.03)


def test_play_batch_plays_one_whole_episode_per_env_as_play_does():
    """Evaluation during training steps several games at once; each score must be the one a lone game gets."""
    from envs import resolve_game
    from evaluate.agent import Agent
    from evaluate.player import make_env, play, play_batch

    model = build_model("mlp", (4,), Categorical(2))
    weights = [np.zeros_like(w) for w in model.get_weights()]  # push right when the pole leans right:
    weights[0][2, 0], weights[2][0, 0], weights[8][0, 1] = 5.0, 1.0, 5.0  # angle -> unit 0 -> unit 0 -> logit 1
    model.set_weights(weights)
    agent, game = Agent(model, (4,)), resolve_game("CartPole-v1")
    seeds = [11, 12, 13, 14]
    envs = [make_env(game, cnn_lstm=False)[0] for _ in seeds]
    batch = play_batch(agent, envs, seeds)
    alone = [play(agent, make_env(game, cnn_lstm=False)[0], 1, greedy=True, seed=s)[0].score for s in seeds]
    np.testing.assert_array_equal(batch, alone)
    assert len(set(alone)) > 1  # games of different lengths: finished ones left the batch at different steps
    assert play_batch(agent, envs, seeds, stopped=lambda: True) is None


def test_recording_env_sees_the_same_observations_as_training():
    gym.register_envs(__import__("ale_py"))
    plain = make_atari_env("ALE/Breakout-v5", 1)
    rendering = make_atari_env("ALE/Breakout-v5", 1, render_mode="rgb_array")
    try:
        a, _ = plain.reset(seed=3)
        b, _ = rendering.reset(seed=3)
        np.testing.assert_array_equal(a, b)
        for action in [1, 2, 3, 0, 2, 1]:
            a = plain.step(action)[0]
            b = rendering.step(action)[0]
            np.testing.assert_array_equal(a, b)
        assert rendering.render().shape == (210, 160, 3)
    finally:
        plain.close()
        rendering.close()


def test_mp4_recorder_where_imageio_ffmpeg_is_installed(tmp_path):
    pytest.importorskip("imageio_ffmpeg")
    import imageio.v2 as imageio

    from evaluate.recording import Mp4Recorder

    rec = Mp4Recorder(tmp_path / "r.mp4", fps=15, max_frames=20)
    for i in range(30):
        rec.offer(lambda i=i: np.full((21, 31, 3), i * 8, np.uint8))  # odd sides: cropped to even for H.264
    rec.close()
    with imageio.get_reader(tmp_path / "r.mp4") as reader:
        frames = [frame for frame in reader]
    assert len(frames) == 20 and frames[0].shape == (20, 30, 3)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.mp4"]
