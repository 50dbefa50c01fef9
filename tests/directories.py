"""Small source files written by tests: a directory in the CGET format, the simplest reader."""


HEADER = ("ID,NOM_TL,ADRESSE,CP,COMINIT,INSEECOM,NOMCOM,WEB,TWITTER,FACEBOOK,TYPO,LAT,LONG,GEOCOD,PRECISION,"
          "METRO,NOMMETRO,INSEEREG,NOMREG,INSEEMETRO,INSEEDEP,NOMCOMMETRO,POPCOM,COMCLASS,INSEE_ZE,NOM_ZE,"
          "CLASS_ZE,POP_ZE")


def directory(tmp_path, name, *rows):
    """A file in the CGET format, the simplest reader, for any test source."""
    lines = [HEADER]
    for r in rows:
        lines.append(",".join([r["id"], r["name"], r.get("address", ""), r.get("cp", ""), r.get("town", ""),
                               r.get("insee", ""), "", r.get("web", ""), "", "",
                               r.get("typo", "Tiers lieux à dominante fablab"), str(r["lat"]), str(r["lon"])])
                     + "," * 15)
    path = tmp_path / f"{name}.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
