import { Component } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { standardFieldProps } from "@web/views/fields/standard_field_props";

/* A card's status (Open, Closed) in the form's status bar, drawn as Odoo's statusbar. Read-only: a card
   closes and reopens through its Close and Reopen buttons, which say what happens to the open balance. */
export class PrepaidStatusField extends Component {
    static template = "prepaid_services.PrepaidStatusField";
    static props = { ...standardFieldProps };

    get items() {
        const closed = Boolean(this.props.record.data[this.props.name]);
        // listed right to left, as the statusbar's CSS expects
        return [
            { value: "closed", label: _t("Closed"), isSelected: closed },
            { value: "open", label: _t("Open"), isSelected: !closed },
        ];
    }
}

registry.category("fields").add("prepaid_status", {
    component: PrepaidStatusField,
    displayName: _t("Prepaid Service Status"),
    supportedTypes: ["boolean"],
});
