"""Invented words for generated families: names, places and the sentences practitioners write.

Everything here is made up. Sentences are assembled from parts so that entries read like a
practitioner's record without repeating word for word."""

from __future__ import annotations

import random


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST_NAMES = _words(
    "Aaliyah Abdul Ada Adebayo Aisha Alfie Amara Amelia Amir Ana Archie Arjun Ava Bartek "
    "Bella Ben Bilal Bronwen Caleb Callum Chidi Chloe Cian Daisy Dev Dylan Eden Efe Eilidh "
    "Elijah Ellie Emre Esme Ethan Evie Farah Finley Freya Gabriel Grace Hana Harley Harvey "
    "Ibrahim Imogen Isaac Isla Jacob Jade Jamal Jasmine Jayden Jessica Joel Kacper Kai Kayla "
    "Kian Layla Leah Leo Lily Logan Lucas Maddison Maja Maryam Mason Mia Mohammed Molly Musa "
    "Nadia Nathan Niamh Noah Nuala Oliver Olivia Omar Oscar Paige Priya Reggie Riley Rory "
    "Ruby Sami Sienna Sofia Sonny Tariq Teddy Tia Tobias Tyler Yusuf Zara Zofia "
)
SURNAMES = _words(
    "Abbott Acheampong Ahmed Ali Allen Andrews Atkinson Bailey Baker Barnes Begum Bennett "
    "Bibi Booth Bradley Brennan Brooks Burke Carter Chapman Clarke Coleman Collins Cooper "
    "Dale Davies Dixon Doherty Doyle Edwards Ellis Evans Fletcher Foster Francis Gallagher "
    "Gill Gordon Graham Grant Gray Green Hall Harper Harris Hayes Hill Holmes Hughes Hussain "
    "Iqbal Jackson James Jenkins Kaur Kelly Khan Kowalski Lawrence Lewis Lloyd Malik Marsh "
    "Mason Mensah Miah Mills Mitchell Moore Morris Murphy Nowak Nwosu Okafor Oliveira Owen "
    "Palmer Parker Patel Pearson Phillips Price Quinn Rahman Reid Reynolds Richards Riley "
    "Roberts Robinson Rose Ryan Sahin Shah Sharma Shaw Simpson Singh Smith Stewart Sullivan "
    "Taylor Thomas Turner Walsh Ward Watson Webb Wells White Williams Wilson Wood Wright "
    "Yilmaz "
)
TEAM_PLACES = _words(
    "Riverside Northgate Eastfield Westbrook Southmead Hillcrest Millbank Oakwood Ashford "
    "Brookside Castleton Dunmore Elmhurst Fairview Greenacre Harbour Kingsmead Lakeside "
    "Marsh Newtown Orchard Parkside Queensway Redhill Stonebridge Thornbury Underhill Valley "
    "Wharf Yardley "
)
ORGANISATIONS = (
    "Riverside Primary School",
    "Northgate Academy",
    "the community mental health team",
    "the drug and alcohol service",
    "the domestic abuse service",
    "the health visiting team",
    "the police safeguarding unit",
    "the probation service",
    "the housing department",
    "the family support hub",
    "the GP surgery",
    "the children's centre",
)
PROFESSIONAL_ROLES = (
    "Class teacher",
    "Designated safeguarding lead",
    "Health visitor",
    "School nurse",
    "Key worker",
    "Probation officer",
    "Independent reviewing officer",
    "Children's guardian",
    "Housing officer",
    "Family support worker",
    "Community psychiatric nurse",
    "GP",
)
NETWORK_ROLES = ("Grandmother", "Grandfather", "Aunt", "Uncle", "Family friend", "Neighbour")

# What happened, by chronology theme: the start of the entry's first sentence.
EVENTS = {
    "substance-use-incident": (
        "{adult} was found under the influence of alcohol while caring for {child}",
        "A drug test for {adult} came back positive for cocaine",
        "Neighbours reported {adult} drinking heavily through the afternoon",
    ),
    "domestic-abuse-incident": (
        "Police were called to the home after a neighbour heard shouting and a crash",
        "{adult} disclosed a further assault by her partner at the weekend",
        "A MARAC referral was made after an incident in front of {child}",
    ),
    "mental-health-crisis": (
        "{adult} was taken to A&E in crisis and assessed by the liaison team",
        "{adult} stopped taking prescribed medication and became unwell",
        "The crisis team visited {adult} twice after a deterioration in mood",
    ),
    "neglect-of-care": (
        "{child} arrived at school hungry and in unwashed clothes for the third day",
        "The home was found without food, heating or clean bedding",
        "Health visitor found {child} had missed feeds and was underweight",
    ),
    "missed-health-or-education": (
        "{child} missed a hospital appointment for the second time",
        "School reported {child}'s attendance has fallen below 70 per cent",
        "{child}'s dental check was missed and not rearranged",
    ),
    "injury-or-harm": (
        "{child} was seen with bruising to the upper arm that was not explained",
        "A child protection medical was held for a burn to {child}'s hand",
        "{child} told a teacher that {adult} had hit them",
    ),
    "child-protection-action": (
        "A strategy discussion was held and section 47 enquiries began",
        "An initial child protection conference made {child} subject to a plan",
        "The review conference kept the child protection plan in place",
    ),
    "sibling-removed": (
        "A younger sibling was removed from {adult}'s care under police protection",
        "Care proceedings were issued for a half-sibling in another authority",
    ),
    "parent-offending": (
        "{adult} was arrested for shoplifting and released under investigation",
        "{adult} received a community order for criminal damage",
    ),
    "return-breakdown": (
        "{child}'s return home ended after three months and they came back into care",
        "The trial at home broke down after an incident at the weekend",
    ),
    "unplanned-return": (
        "{child} went home to {adult} without a plan after leaving the placement",
        "{child} was found staying at {adult}'s flat against the care plan",
    ),
    "child-missing": (
        "{child} was reported missing from the placement overnight",
        "{child} did not return from school and was found at a friend's house",
    ),
    "child-behaviour-concern": (
        "{child} was excluded for a fixed period after a fight at school",
        "Carers reported {child} had damaged property in their bedroom",
    ),
    "child-distress": (
        "{child} was tearful after family time and said they wanted to go home",
        "{child} has been waking at night and wetting the bed",
    ),
    "placement-move": (
        "{child} moved to a new foster placement after the carers gave notice",
        "{child} moved to a kinship placement with their grandmother",
    ),
    "contact-missed": (
        "{adult} did not attend supervised family time and gave no reason",
        "Family time was cancelled after {adult} arrived late and unwell",
    ),
    "new-adult": (
        "{adult} has a new partner who has stayed at the home several nights",
        "A new adult was seen at the home during an unannounced visit",
    ),
    "housing-or-money-crisis": (
        "{adult} received an eviction notice for rent arrears",
        "The family's benefits were stopped and they have no money for food",
    ),
    "service-disengagement": (
        "{adult} missed three appointments with the recovery service",
        "{adult} did not engage with the parenting programme this month",
    ),
    "service-progress": (
        "{adult} completed the Freedom Programme and spoke about what she learnt",
        "{adult} attended every session of the parenting course",
    ),
    "abstinence-confirmed": (
        "Hair strand test confirms {adult} has not used drugs for six months",
        "Breath tests at every visit this month were negative for {adult}",
    ),
    "safety-plan-kept": (
        "The safety plan held: {adult} called the worker when the ex-partner appeared",
        "{adult} kept to the agreed safety plan through the holidays",
    ),
    "mental-health-stable": (
        "The care coordinator reports {adult}'s mental health has been stable",
        "{adult} is taking medication and attending therapy each week",
    ),
    "good-contact": (
        "Family time went well: {adult} planned an activity and managed boundaries",
        "{child} enjoyed an unsupervised afternoon with {adult}",
    ),
    "parenting-improved": (
        "The parenting assessment notes warmer, more consistent care from {adult}",
        "{adult} handled {child}'s tantrum calmly and kept the routine",
    ),
    "network-help": (
        "The grandmother agreed to help with school runs and weekends",
        "A family network meeting agreed who would support the return",
    ),
    "home-secured": (
        "{adult} has a tenancy for a two-bedroom flat near the school",
        "Repairs to the home are finished and each child has a bed",
    ),
    "child-progress": (
        "{child} is settled at school and their reading has come on well",
        "{child}'s health needs are met and the paediatrician is pleased",
    ),
}
FOLLOW_UPS = (
    "The allocated worker visited the next day.",
    "This was discussed in supervision and the plan updated.",
    "The school and health visitor were told the same day.",
    "{adult} accepted what had happened when it was discussed.",
    "{adult} disputes the account given by the referrer.",
    "Recorded from the police notification received by the front door team.",
    "A core group meeting was arranged to review the plan.",
    "No further action was taken at this stage.",
)
IMPACTS = (
    "{child} was frightened and did not want to go home that night.",
    "{child} was unsettled at school for the rest of the week.",
    "{child} did not seem affected and talked about their weekend.",
    "{child} said they felt safe with their carers.",
    "{child}'s sleep and eating were disrupted for several days.",
)
RESPONSES = (
    "Strategy discussion held; safety plan agreed with {adult}.",
    "Referral made to the drug and alcohol service.",
    "Extra support visits arranged by the family support worker.",
    "Case discussed in supervision; no change to the plan.",
    "Letter sent to {adult} setting out what must change.",
)
OUTCOMES = (
    "The plan stayed in place.",
    "{adult} engaged with the service and attended the first appointment.",
    "Concerns continued at the next visit.",
    "No further incidents were reported in the following month.",
)
PARENT_COMMENTS = (
    "{adult} says this did not happen the way the police recorded it.",
    "{adult} agrees this is accurate and wants it known she has changed.",
    "{adult} says she was not at home at the time.",
)
NOTES = (
    "Discussed with the family and the professionals involved.",
    "Based on the parenting assessment and visits over the last three months.",
    "The evidence is mixed; the recovery service's report is due next month.",
    "Both parents agree with this; the father less so.",
    "Seen on every visit since the spring.",
)


def name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"


def sentence(rng: random.Random, options: tuple[str, ...], *, adult: str, child: str) -> str:
    return rng.choice(options).format(adult=adult, child=child)


def what_happened(rng: random.Random, themes: list[str], *, adult: str, child: str) -> str:
    """One to three sentences: the first theme's event, then what followed."""
    event = sentence(rng, EVENTS.get(themes[0], EVENTS["child-progress"]), adult=adult, child=child)
    parts = [event + "."]
    for _ in range(rng.choice((0, 1, 1, 2))):
        parts.append(sentence(rng, FOLLOW_UPS, adult=adult, child=child))
    return " ".join(parts)


def paragraph(rng: random.Random, sentences: int = 2) -> str:
    return " ".join(rng.sample(NOTES, min(sentences, len(NOTES))))
