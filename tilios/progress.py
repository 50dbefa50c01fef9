"""The progress bar of long commands (imports, the first start's demo data). Services take it as an
argument and never draw one themselves: the API and the pages have no terminal."""
from tqdm import tqdm


def bar(rows, desc="import", total=None):
    return tqdm(rows, desc=desc, unit=" lignes", total=total)
