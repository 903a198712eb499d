"""Build step that pyproject.toml cannot express: ship templates/, static/ and migrations/.

They sit beside the package in the repository (the project's agreed layout), so
package-data cannot reach them. The wheel copies them into the package; at run time
``market4.ASSET_ROOT`` finds them inside the installed package, or beside it in a checkout.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
ASSET_DIRS = ("templates", "static", "migrations")
SKIPPED = ("__pycache__", "*.pyc")


class BuildPyWithAssets(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return  # an editable install reads them from the checkout
        for name in ASSET_DIRS:
            self.copy_tree_filtered(ROOT / name, Path(self.build_lib) / "market4" / name)

    def copy_tree_filtered(self, source: Path, target: Path) -> None:
        for path in sorted(source.rglob("*")):
            relative = path.relative_to(source)
            if path.is_dir() or any(relative.match(p) or p in relative.parts for p in SKIPPED):
                continue
            destination = target / relative
            self.mkpath(str(destination.parent))
            self.copy_file(str(path), str(destination))


setup(cmdclass={"build_py": BuildPyWithAssets})
