"""Peak memory of one pipeline run, measured in a fresh process (run by bench/run.py).

Usage: python bench/peak_rss.py CLIP  (with BENCH_RUN_DIR set to a migrated run directory)
Prints one JSON object: the Python process's peak RSS (ru_maxrss of itself, which is
what a Celery pool process holds) and the largest child's (ffmpeg's), in MiB.
"""

import json
import os
import resource
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import django_env


def main() -> None:
    django_env.setup(Path(os.environ[django_env.RUN_DIR_VARIABLE]))
    import cases

    run = cases.prepare_pipeline(Path(sys.argv[1]))
    run()
    kib = 1024  # ru_maxrss is in KiB on Linux
    print(
        json.dumps(
            {
                "worker_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / kib,
                "ffmpeg_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / kib,
            }
        )
    )


if __name__ == "__main__":
    main()
