"""Each party's own programming (programmations respectives): the projects each organisation
party to an agreement plans on its own for the coming years, shown side by side with their
overlaps, and the joint actions born from them."""
