"""The README's settings table is the program's own (`planyard settings`)."""
import os
import subprocess
import unittest

from harness import BINARY, ROOT


class Docs(unittest.TestCase):
    def test_readme_settings_match_the_program(self):
        with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
            readme = f.read()
        begin = readme.index("<!-- settings:begin")
        begin = readme.index("\n", begin) + 1
        end = readme.index("<!-- settings:end -->")
        table = subprocess.run([BINARY, "settings"], capture_output=True, text=True, check=True).stdout
        self.assertEqual(readme[begin:end], table, "README.md's settings table is stale: "
                         "replace it with the output of `build/planyard settings`")

    def test_readme_first_screen_gives_the_two_commands(self):
        with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
            first = "".join(f.readlines()[:25])
        self.assertIn("make run", first)
        self.assertIn("make check", first)


if __name__ == "__main__":
    unittest.main()
