"""A copy of a net whose places and transitions pm4py's token replay hashes fast.

pm4py's ``Place`` and ``Transition`` compare by identity and hash by
``id(self)``, both written in Python; token replay looks places up in
markings and transitions up in the net's set millions of times, and on the
benchmark log a fifth of its time went to those two methods.  The
subclasses here keep exactly that equality (identity) and let Python's own
``object`` methods do it.  Parts of pm4py test ``type(x) is
PetriNet.Transition`` (play-out, PNML export), so these objects stay inside
token replay: :meth:`Flowchart.to_petri_net` keeps pm4py's own classes.
"""

from __future__ import annotations

from pm4py.objects.petri_net.obj import Marking, PetriNet


class Place(PetriNet.Place):
    __hash__ = object.__hash__
    __eq__ = object.__eq__


class Transition(PetriNet.Transition):
    __hash__ = object.__hash__
    __eq__ = object.__eq__


def replay_copy(net: PetriNet, initial: Marking, final: Marking):
    """Return ``(net, initial marking, final marking)`` rebuilt from the classes above."""
    copy = PetriNet(net.name)
    new = {}
    for p in net.places:
        new[p] = Place(p.name)
        copy.places.add(new[p])
    for t in net.transitions:
        new[t] = Transition(t.name, t.label)
        copy.transitions.add(new[t])
    for a in net.arcs:
        arc = PetriNet.Arc(new[a.source], new[a.target], a.weight)
        copy.arcs.add(arc)
        arc.source.out_arcs.add(arc)
        arc.target.in_arcs.add(arc)
    return (copy, Marking({new[p]: n for p, n in initial.items()}),
            Marking({new[p]: n for p, n in final.items()}))
