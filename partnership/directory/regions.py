from django.db import models


class Region(models.TextChoices):
    """French regions (ISO 3166-2:FR codes): the 13 metropolitan ones and the 5 overseas."""

    ARA = "ARA", "Auvergne-Rhône-Alpes"
    BFC = "BFC", "Bourgogne-Franche-Comté"
    BRE = "BRE", "Bretagne"
    CVL = "CVL", "Centre-Val de Loire"
    COR = "20R", "Corse"
    GES = "GES", "Grand Est"
    HDF = "HDF", "Hauts-de-France"
    IDF = "IDF", "Île-de-France"
    NOR = "NOR", "Normandie"
    NAQ = "NAQ", "Nouvelle-Aquitaine"
    OCC = "OCC", "Occitanie"
    PDL = "PDL", "Pays de la Loire"
    PAC = "PAC", "Provence-Alpes-Côte d’Azur"
    GUA = "971", "Guadeloupe"
    MTQ = "972", "Martinique"
    GUF = "973", "Guyane"
    LRE = "974", "La Réunion"
    MAY = "976", "Mayotte"

    @classmethod
    def overseas(cls):
        return [cls.GUA, cls.MTQ, cls.GUF, cls.LRE, cls.MAY]
