"""The latency benchmark's command line and table (the viewer runs are benchmarks)."""

import pytest

from napari_masked_blur._bench.latency import main, table


def test_repeats_below_one_is_refused_naming_the_value(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--repeats", "0"])
    assert exit_info.value.code == 2
    assert "--repeats must be >= 1, got 0" in capsys.readouterr().err


def test_table_has_one_row_per_figure():
    text = table([("paint-to-pixels", "4 ms (n=9)"), ("memory", "1 MiB + 2 MiB")])
    lines = text.splitlines()
    assert len(lines) == 4
    assert lines[2].startswith("| paint-to-pixels") and lines[2].endswith(
        "| 4 ms (n=9) |"
    )


def test_bench_latency_is_a_subcommand_of_bench(capsys):
    from napari_masked_blur._command import main as cli

    with pytest.raises(SystemExit) as exit_info:
        cli(["bench", "latency", "--repeats", "0"])
    assert exit_info.value.code == 2
    assert "bench latency" in capsys.readouterr().err


def test_the_page_names_the_command_and_holds_the_table(tmp_path):
    from napari_masked_blur._bench.latency import write_page

    path = tmp_path / "latency.md"
    write_page(path, [("plane-to-pixels", "20 ms (n=9)")], ["--repeats", "9"])
    text = path.read_text()
    assert "`napari-masked-blur bench latency --repeats 9`" in text
    assert "| plane-to-pixels | 20 ms (n=9) |" in text
    assert list(tmp_path.iterdir()) == [path]


def test_without_a_display_it_reruns_this_module_under_xvfb(monkeypatch):
    from napari_masked_blur._bench import latency as bench_latency

    calls = []
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.setattr(bench_latency.shutil, "which", lambda name: f"/bin/{name}")
    monkeypatch.setattr(
        bench_latency.subprocess, "call", lambda command: calls.append(command) or 0
    )
    assert main(["--quick", "--repeats", "3"]) == 0
    (command,) = calls
    assert command[0] == "/bin/xvfb-run"
    module = command[command.index("-m") + 1]
    assert module == bench_latency.__name__
    assert command[-3:] == ["--quick", "--repeats", "3"]
