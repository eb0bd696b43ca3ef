"""Customer messages written for Pulse's demo: what customers of a B2B software vendor really send.

Each entry: (intended colour, kind, subject, body). `{contact}` and `{company}` are filled per account;
the colour is what a careful CSM would choose, and the demo's people decide with it.
"""

from __future__ import annotations

MESSAGES: list[tuple[str, str, str | None, str]] = [
    # --- Red: frustration, escalation, churn signals
    ("Red", "email", "Export failing again",
     "Hi team,\n\nThe nightly export failed for the third time this week and our finance close is blocked. "
     "We opened a ticket on Monday and nobody has come back to us. This is not acceptable for what we pay.\n\n"
     "{contact}\n--\n{contact} | Operations Director | {company}"),
    ("Red", "ticket", "URGENT: SSO outage",
     "Nobody in our company can log in since this morning. SSO returns an error for all 400 users. "
     "We need someone on this immediately, our support desk is flooded."),
    ("Red", "call_note", None,
     "Call with {contact}. Their VP of Finance is reviewing every vendor contract and asked why they are paying "
     "for seats nobody uses. Adoption is at 20%. They are evaluating a cheaper competitor and want pricing "
     "options before the end of the quarter."),
    ("Red", "email", "Re: Renewal",
     "To be honest we are not sure we will renew. The reporting module still does not do what we were promised "
     "in the sales process, and our champion {contact} left the company last month.\n\n"
     "On Tue, Jordan from Accounts wrote:\n> Hi, just checking in on the renewal paperwork.\n> Thanks!"),
    ("Red", "chat", None,
     "this is the fourth time I'm asking. the dashboard numbers don't match our CRM and my boss is asking "
     "me why we bought this tool"),
    ("Red", "ticket", "Data loss after migration",
     "After your migration last weekend about two months of historical records are missing from our workspace. "
     "We have a board meeting on Thursday. Please escalate this, we are seriously considering our options."),
    ("Red", "email", "Invoice dispute",
     "We were billed for 250 seats again although we reduced to 150 in March. This is the second billing error "
     "this year. Until this is fixed we are putting all payments on hold."),
    ("Red", "call_note", None,
     "QBR with {company}. Tense meeting. They listed five open bugs that block their rollout, complained about "
     "slow support responses, and said leadership has lost confidence. Asked for an executive sponsor call."),
    ("Red", "chat", None,
     "Honestly the new release broke our workflow completely. Everything takes twice as long now. "
     "Can we roll back?? My team is furious."),
    ("Red", "email", "Cancellation notice",
     "Please treat this email as our formal notice that {company} will not renew the subscription when the "
     "current term ends. We have decided to consolidate on another platform.\n\nRegards,\n{contact}"),
    ("Red", "ticket", "API rate limits killing our integration",
     "Your API keeps returning 429 errors during our sync window. We've lost a full day of orders. "
     "We were told the enterprise plan had no such limits. Extremely disappointed."),
    ("Red", "call_note", None,
     "{contact} said the budget for next year was cut by 30% and our tool is on the list of things to drop. "
     "Usage has fallen since the team reorganisation and nobody owns the platform anymore."),
    ("Red", "email", "Still waiting",
     "It has now been two weeks since we reported the permissions bug. Every follow-up gets a copy-paste answer. "
     "I expected better support from a company we have worked with for three years."),
    ("Red", "chat", None, "reports are timing out again. third time today. this is getting ridiculous."),
    ("Red", "email", "Security review findings",
     "Our security team found that audit logs are not retained for the 12 months required by our policy. "
     "Unless there is a fix we will have to stop using the product for regulated data, which is most of it."),
    ("Red", "ticket", "Onboarding stalled",
     "We signed three months ago and we are still not live. The implementation consultant changed twice and "
     "each time we started over. Our leadership is asking whether this was a mistake."),
    # --- Yellow: routine, mixed, uncertain
    ("Yellow", "email", "Invoice copy",
     "Hello, could you send us a copy of the March invoice with our new VAT number on it? Thank you.\n\n{contact}"),
    ("Yellow", "ticket", "How to bulk update records",
     "Is there a way to update the owner field on several hundred records at once? I couldn't find it in the docs."),
    ("Yellow", "call_note", None,
     "Check-in with {contact}. Rollout to the second region is paused while they restructure the sales team. "
     "No complaints about the product, but they could not commit to a new timeline. Follow up next month."),
    ("Yellow", "email", "Renewal question",
     "We are starting our budget planning for next year. Could you share the renewal quote and whether the "
     "pricing will change? No decision yet on our side."),
    ("Yellow", "chat", None, "hey, quick one - where do I change the default timezone for scheduled reports?"),
    ("Yellow", "ticket", "Feature request: custom fields in exports",
     "It would help us a lot if custom fields were included in CSV exports. Not urgent, we have a workaround."),
    ("Yellow", "email", "New point of contact",
     "Hi, I'm taking over from {contact} as the owner of the platform at {company}. I'm still getting up to speed. "
     "Could we set up an intro call in the next couple of weeks?"),
    ("Yellow", "call_note", None,
     "Monthly sync. Usage is flat. {contact} likes the alerts feature but says the analytics are hard for "
     "managers to read. Mixed feelings overall; they want to see the roadmap before committing to expansion."),
    ("Yellow", "ticket", "Slow dashboard",
     "The main dashboard takes about 10 seconds to load in the mornings. It's usable but a bit annoying. "
     "Is this expected?"),
    ("Yellow", "email", "Training session",
     "Could we schedule a training session for five new team members joining in May? Any date works for us."),
    ("Yellow", "chat", None,
     "The update looks fine so far. A couple of people were confused by the new menu but they'll get used to it."),
    ("Yellow", "call_note", None,
     "{contact} asked about our roadmap for the mobile app. They are comparing a few tools for a new use case "
     "and have not decided. Existing use is stable."),
    ("Yellow", "email", "Contract amendment",
     "Our legal team asked for a small change to the data processing addendum. I've attached their comments. "
     "Can you let us know who should review it?"),
    ("Yellow", "ticket", "Password reset emails delayed",
     "Password reset emails arrive after 5 to 10 minutes. Not critical but a few users have complained."),
    ("Yellow", "email", "Q3 usage report",
     "Thanks for the usage report. We'll review it internally with the new director and get back to you with "
     "questions. Some teams use it daily, others hardly at all."),
    ("Yellow", "chat", None, "is the API going to support webhooks for deleted records? we might need that later"),
    # --- Green: praise, expansion, advocacy
    ("Green", "email", "Thank you!",
     "Just wanted to say thank you to the support team for fixing the import issue so quickly. "
     "Everyone here is really happy with how responsive you have been.\n\n{contact}\nSent from my iPhone"),
    ("Green", "call_note", None,
     "Great QBR with {company}. Adoption is up to 85% of licensed users, and {contact} wants to roll the "
     "platform out to the marketing team next quarter. Asked for a quote for 50 more seats."),
    ("Green", "email", "Renewal signed",
     "Happy to confirm we've signed the renewal for another two years. The new reporting features made the "
     "decision easy. Looking forward to working together."),
    ("Green", "chat", None, "the new bulk edit feature just saved me a whole afternoon. love it, thank you!"),
    ("Green", "ticket", "Great onboarding",
     "Closing this ticket - our onboarding went smoothly and the team is fully live. Thanks to Maya for the "
     "excellent training sessions."),
    ("Green", "email", "Case study",
     "We would be glad to take part in a case study. The platform has cut our reporting time in half and our "
     "leadership loves the dashboards."),
    ("Green", "call_note", None,
     "{contact} was very positive. The automation rules are now used by every regional team and they "
     "reported a 30% drop in manual work. They want to join the customer advisory board."),
    ("Green", "chat", None, "just presented the dashboards to our exec team and they were impressed. great product!"),
    ("Green", "email", "Expansion",
     "Our sister company has seen how we use the platform and wants their own workspace. Could you put us in "
     "touch with sales? We'd love to bring them on board."),
    ("Green", "ticket", "Feedback on the new release",
     "The new release is excellent. Everything is faster and the audit log is exactly what our compliance team "
     "asked for. Well done."),
    ("Green", "email", "Referral",
     "I recommended you to a former colleague who now runs operations at another firm. Happy to be a reference "
     "any time, you've been a great partner."),
    ("Green", "call_note", None,
     "Executive sponsor meeting went very well. {company} confirmed budget for next year and is interested in "
     "the analytics add-on. Relationship is strong."),
    ("Green", "chat", None, "thanks for the quick fix earlier, everything is working perfectly now"),
    ("Green", "email", "Team feedback",
     "Our support agents gave the new interface a 9/10 in our internal survey. It's much easier to use than "
     "our previous tool. Thanks for listening to our feedback."),
    ("Green", "ticket", "Resolved - thanks",
     "Confirmed the fix works on our side. Really appreciate how fast your engineers jumped on this."),
    ("Green", "email", "Quarterly review",
     "Thanks for the quarterly review. Great to see the progress on our goals, we're very happy with the "
     "results so far and want to expand to two more departments."),
]

# Each account: (name, team, segment, renewal in days, ARR, lifecycle, health mix as Red/Yellow/Green weights)
ACCOUNTS: list[tuple[str, str, str, int, float, str, tuple[int, int, int]]] = [
    ("Northwind Logistics", "emea", "enterprise", 35, 240_000, "renewal", (6, 3, 1)),
    ("Bluefin Analytics", "emea", "mid-market", 150, 82_000, "adoption", (1, 3, 6)),
    ("Harbor Health", "emea", "enterprise", 75, 310_000, "expansion", (2, 3, 5)),
    ("Keystone Retail", "emea", "smb", 20, 18_000, "renewal", (5, 4, 1)),
    ("Lumen Energy", "emea", "mid-market", 200, 64_000, "onboarding", (3, 5, 2)),
    ("Orbital Freight", "emea", "enterprise", 110, 185_000, "adoption", (1, 2, 7)),
    ("Cedar & Pine Legal", "americas", "smb", 50, 24_000, "renewal", (2, 6, 2)),
    ("Quantum Foods", "americas", "enterprise", 300, 420_000, "expansion", (1, 2, 7)),
    ("Riverstone Bank", "americas", "enterprise", 40, 365_000, "renewal", (6, 3, 1)),
    ("Summit Education", "americas", "mid-market", 95, 47_000, "adoption", (2, 5, 3)),
    ("Vela Robotics", "americas", "mid-market", 180, 96_000, "onboarding", (5, 3, 2)),
    ("Zephyr Media", "americas", "smb", 260, 15_000, "adoption", (1, 4, 5)),
]

CONTACTS = ["Ana Souza", "Ben Carter", "Chen Wei", "Dora Novak", "Emeka Obi", "Fatima Khan", "Greta Lind",
            "Hiro Tanaka", "Ines Duarte", "Jonas Berg", "Kemi Adeyemi", "Lars Holm"]


def labelled_messages() -> list[tuple[str, str]]:
    """The demo messages as labelled text (the intended colour), filled in and cleaned as Pulse cleans text
    before scoring it: a small evaluation set of customer-success text written for Pulse."""
    from pipelines.clean import clean_text

    return [(clean_text(body.format(contact="Ana Souza", company="Northwind")), label)
            for label, _kind, _subject, body in MESSAGES]
